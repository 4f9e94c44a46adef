/* containerd-shim-ref-v1: containerd's identifier rule (ids.h). */
#include <string.h>

#include "error.h"
#include "fault.h"
#include "ids.h"

bool
valid_id (const char *id, char **why)
{
  /* containerd identifiers: [A-Za-z0-9]+([._-][A-Za-z0-9]+)*, <= 76 chars */
  size_t n = id ? strlen (id) : 0;
  if (n == 0)
    {
      *why = sc_xstrdup ("identifier must not be empty");
      return false;
    }
  if (n > REFSHIM_MAX_ID || (fault ("id-limit-32") && n > 32))
    {
      *why = sc_xasprintf ("identifier \"%.20s...\" is longer than %d characters", id, REFSHIM_MAX_ID);
      return false;
    }
  bool prev_sep = true; /* no leading separator */
  for (size_t i = 0; i < n; i++)
    {
      char ch = id[i];
      bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      bool sep = ch == '.' || ch == '_' || ch == '-';
      if (!alnum && !(sep && !prev_sep))
        {
          *why = sc_xasprintf ("identifier \"%s\" must match [A-Za-z0-9]+([._-][A-Za-z0-9]+)*", id);
          return false;
        }
      prev_sep = sep;
    }
  if (prev_sep)
    {
      *why = sc_xasprintf ("identifier \"%s\" must not end with a separator", id);
      return false;
    }
  return true;
}
