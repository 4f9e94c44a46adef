/* Fault injection for containerd-shim-reffault-v1 (a test-only binary; never
 * compiled into containerd-shim-ref-v1).  SHIMCHECK_FAULTS is a comma list of
 * misbehaviours; tests/conformance/fault_matrix.tsv shows that each catalogue
 * case fails under at least one of them.
 *   bootstrap:  start-chatty start-holds-stdout start-json-v3 socket-world-writable
 *               no-grouping delete-fails namespace-optional id-limit-32 no-version
 *               no-log socket-left-behind leak-child
 *   replies:    wrong-error-code connect-wrong-pid state-wrong-pid state-wrong-status
 *               start-wrong-pid exited-at-zero wrong-exit-code stats-garbage
 *               pids-no-details
 *   semantics:  allow-duplicate-create allow-duplicate-exec start-twice-ok
 *               kill-created-exec-ok delete-running-ok shutdown-always ignore-options
 *               ignore-kill-all ignore-closeio ignore-resize no-terminal no-unmount
 *               init-exit-first wait-answers-one wait-never-answers
 *   events:     drop-<topic> (drop-create, drop-start, drop-exit, drop-delete,
 *               drop-exec-added, drop-exec-started, drop-paused, drop-resumed),
 *               reorder-events, double-exit-event,
 *               exit-event-on-failed-create exit-on-created-delete
 *   io:         drop-stdout stderr-to-stdout
 *   robustness: crash-on-<Method> hang-on-<Method> crash-on-cancel crash-on-garbage
 *               raw-messages (status messages not made UTF-8)
 *               block-loop-on-create */
#include <stdlib.h>
#include <string.h>

#include "fault.h"

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
