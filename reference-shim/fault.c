/* Fault injection for containerd-shim-reffault-v1 (a test-only binary; never
 * compiled into containerd-shim-ref-v1).  SHIMCHECK_FAULTS is a comma list:
 *   wrong-exit-code      exit statuses are off by one
 *   drop-event           /tasks/start is never published
 *   reorder-events       each event jumps ahead of queued ones
 *   double-exit-event    every /tasks/exit is published twice
 *   wait-never-answers   Wait never replies
 *   wrong-error-code     unknown ids give Unknown instead of NotFound
 *   socket-left-behind   the socket file survives Shutdown
 *   leak-child           the daemon starts a process that outlives it
 *   crash-on-<Method>    abort() when <Method> is called
 *   hang-on-<Method>     <Method> never replies */
#include <stdlib.h>
#include <string.h>

#include "shim.h"

bool
fault (const char *name)
{
  const char *list = getenv ("SHIMCHECK_FAULTS");
  if (list == NULL || *list == '\0')
    return false;
  size_t n = strlen (name);
  for (const char *p = list; *p;)
    {
      const char *end = strchr (p, ',');
      size_t len = end ? (size_t) (end - p) : strlen (p);
      if (len == n && strncmp (p, name, n) == 0)
        return true;
      if (end == NULL)
        break;
      p = end + 1;
    }
  return false;
}
