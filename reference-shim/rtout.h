/* containerd-shim-ref-v1: what the runtime CLI's output means.  The host
 * runs the runtime and hands back its raw result (host.h rt_result); this
 * module turns results into messages, status codes and pid lists, the same
 * for the real host and the fuzz target's fake one. */
#ifndef REFSHIM_RTOUT_H
#define REFSHIM_RTOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

bool rt_ok (const rt_result *r);
/* the runtime's own error: its JSON log's last error, else its stderr or
 * stdout (trimmed), else how it ended.  Heap string. */
char *rt_error_message (const rt_result *r);
/* "OCI runtime <what> failed: <runtime> <what> failed: <msg>", the way the
 * Go shim words it, saying "<runtime> <what> failed" once: runc's own log
 * message already starts with it (heap) */
char *rt_failure (const char *what, const char *runtime, const char *msg);
/* the task API status code for a failed `kill`, with containerd's message
 * for the NotFound cases (*text) or NULL to pass msg on */
int rt_kill_error (const char *msg, const char **text);
/* true when a failed `delete` only says the container is already gone */
bool rt_gone (const char *msg);
/* `ps --format json`: an array of pids; non-integers are skipped.
 * Heap array in *pids (NULL when empty). */
void rt_parse_pids (const char *out, size_t len, uint32_t **pids, size_t *n);

#endif
