/* containerd-shim-ref-v1: entry point and Go-style flags. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bootstrap.h"
#include "daemon.h"
#include "error.h"
#include "fault.h"
#include "flags.h"
#include "info.h"
#include "ids.h"
#include "log.h"

static const char *const string_flags[] = { "namespace", "id", "address", "publish-binary",
                                            "bundle",    "socket", NULL };

static const char **
string_slot (shim_flags *f, const char *name)
{
  if (strcmp (name, "namespace") == 0)
    return &f->ns;
  if (strcmp (name, "id") == 0)
    return &f->id;
  if (strcmp (name, "address") == 0)
    return &f->address;
  if (strcmp (name, "publish-binary") == 0)
    return &f->publish_binary;
  if (strcmp (name, "bundle") == 0)
    return &f->bundle;
  return &f->socket;
}

static int
parse_bool (const char *v, bool *out)
{
  if (v == NULL || strcmp (v, "true") == 0 || strcmp (v, "1") == 0 || strcmp (v, "t") == 0
      || strcmp (v, "T") == 0 || strcmp (v, "TRUE") == 0 || strcmp (v, "True") == 0)
    *out = true;
  else if (strcmp (v, "false") == 0 || strcmp (v, "0") == 0 || strcmp (v, "f") == 0
           || strcmp (v, "F") == 0 || strcmp (v, "FALSE") == 0 || strcmp (v, "False") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

/* Go's flag package: -f, --f, -f=v, --f=v, -f v (non-bool); stops at the
 * first non-flag argument or "--". */
int
flags_parse (int argc, char **argv, shim_flags *f, char **errmsg)
{
  memset (f, 0, sizeof (*f));
  int i = 1;
  for (; i < argc; i++)
    {
      const char *a = argv[i];
      if (a[0] != '-' || a[1] == '\0')
        break;
      if (strcmp (a, "--") == 0)
        {
          i++;
          break;
        }
      const char *name = a + 1;
      if (*name == '-')
        name++;
      if (*name == '\0' || *name == '-' || *name == '=')
        {
          *errmsg = sc_xasprintf ("bad flag syntax: %s", a);
          return -1;
        }
      char *nm = sc_xstrdup (name);
      char *val = strchr (nm, '=');
      if (val)
        *val++ = '\0';
      bool is_string = false;
      for (int k = 0; string_flags[k]; k++)
        is_string |= strcmp (string_flags[k], nm) == 0;
      int rc = 0;
      if (is_string)
        {
          if (val == NULL)
            {
              if (i + 1 >= argc)
                rc = -1, *errmsg = sc_xasprintf ("flag needs an argument: -%s", nm);
              else
                *string_slot (f, nm) = argv[++i];
            }
          else
            *string_slot (f, nm) = argv[i] + (size_t) (val - nm) + (size_t) (name - a);
        }
      else if (strcmp (nm, "debug") == 0 || strcmp (nm, "v") == 0 || strcmp (nm, "info") == 0)
        {
          bool b;
          if (parse_bool (val, &b) < 0)
            rc = -1, *errmsg = sc_xasprintf ("invalid boolean value \"%s\" for -%s", val, nm);
          else if (nm[0] == 'd')
            f->debug = b;
          else if (nm[0] == 'i')
            f->info = b;
          else
            f->version = b;
        }
      else
        rc = -1, *errmsg = sc_xasprintf ("flag provided but not defined: -%s", nm);
      free (nm);
      if (rc < 0)
        return -1;
    }
  if (i < argc)
    {
      f->action = argv[i];
      if (strcmp (f->action, "start") != 0 && strcmp (f->action, "delete") != 0)
        {
          *errmsg = sc_xasprintf ("unknown action \"%s\" (start, delete, or none to serve)",
                                  f->action);
          return -1;
        }
      if (i + 1 < argc)
        {
          *errmsg = sc_xasprintf ("unexpected argument after %s: %s", f->action, argv[i + 1]);
          return -1;
        }
    }
  return 0;
}

int
main (int argc, char **argv)
{
  shim_flags f;
  char *errmsg = NULL;
  int parsed = flags_parse (argc, argv, &f, &errmsg);
  f.self = argv[0];
  if (parsed < 0)
    {
      fprintf (stderr, "%s: %s\n", REFSHIM_RUNTIME, errmsg);
      free (errmsg);
      return 2;
    }
  if (f.version && fault ("no-version"))
    return 1;
  if (f.version)
    {
      printf ("%s:\n  Version:  %s\n  Runtime:  %s\n", argv[0], SHIMCHECK_VERSION, REFSHIM_RUNTIME);
#ifdef REFSHIM_FAULTS
      printf ("  Faults:   enabled (test build)\n");
#endif
      return 0;
    }
  if (f.info && !fault ("no-info"))
    return action_info ();
  shim_logging.debug = f.debug;
  if ((f.ns == NULL || *f.ns == '\0') && !fault ("namespace-optional"))
    {
      fprintf (stderr, "%s: shim namespace cannot be empty\n", REFSHIM_RUNTIME);
      return 1;
    }
  if (f.action && strcmp (f.action, "start") == 0)
    return action_start (&f);
  if (f.action && strcmp (f.action, "delete") == 0)
    return action_delete (&f);
  return serve (&f);
}
