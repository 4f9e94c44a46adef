/* containerd-shim-ref-v1: runtime output translation (rtout.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "error.h"
#include "rtout.h"
#include "status.h"

bool
rt_ok (const rt_result *r)
{
  return WIFEXITED (r->status) && WEXITSTATUS (r->status) == 0;
}

char *
rt_error_message (const rt_result *r)
{
  if (r->log_error && *r->log_error)
    return sc_xstrdup (r->log_error);
  const char *text = r->err && *r->err ? r->err : r->out;
  if (text && *text)
    {
      size_t n = strlen (text);
      while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
      return sc_xstrndup (text, n);
    }
  if (WIFSIGNALED (r->status))
    return sc_xasprintf ("runtime killed by signal %d", WTERMSIG (r->status));
  return sc_xasprintf ("runtime exited %d", WEXITSTATUS (r->status));
}

char *
rt_failure (const char *what, const char *runtime, const char *msg)
{
  char *prefix = sc_xasprintf ("%s %s failed", runtime, what);
  size_t n = strlen (prefix);
  char *m = strncmp (msg, prefix, n) == 0 && (msg[n] == ':' || msg[n] == '\0')
              ? sc_xasprintf ("OCI runtime %s failed: %s", what, msg)
              : sc_xasprintf ("OCI runtime %s failed: %s: %s", what, prefix, msg);
  free (prefix);
  return m;
}

int
rt_kill_error (const char *msg, const char **text)
{
  *text = NULL;
  if (strstr (msg, "not running") || strstr (msg, "no such process")
      || strstr (msg, "process already finished"))
    {
      *text = "process already finished: not found";
      return SC_NOT_FOUND;
    }
  if (strstr (msg, "does not exist"))
    {
      *text = "no such container: not found";
      return SC_NOT_FOUND;
    }
  return SC_UNKNOWN;
}

bool
rt_gone (const char *msg)
{
  return strstr (msg, "does not exist") != NULL;
}

void
rt_parse_pids (const char *out, size_t len, uint32_t **pids, size_t *n)
{
  json_t *arr = json_loadb (out, len, 0, NULL);
  size_t total = json_is_array (arr) ? json_array_size (arr) : 0;
  *pids = total ? sc_xcalloc (total, sizeof (**pids)) : NULL;
  *n = 0;
  for (size_t i = 0; i < total; i++)
    {
      json_t *v = json_array_get (arr, i);
      if (json_is_integer (v))
        (*pids)[(*n)++] = (uint32_t) json_integer_value (v);
    }
  json_decref (arr);
}
