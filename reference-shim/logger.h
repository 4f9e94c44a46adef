/* containerd-shim-ref-v1: binary:// and binary-v2:// loggers
 * (docs/shim-behaviour.md#loggers).  The logger is a program on the host,
 * named by the stdout URI; it reads the container's stdout on fd 3 and its
 * stderr on fd 4, and says it is ready on fd 5: by closing it (binary://)
 * or by writing a byte first (binary-v2://, where a close alone is a
 * failure).  The shim waits for that, with a deadline, before the runtime
 * runs the process.  The query string becomes arguments (?k=v -> k v), the
 * environment CONTAINER_ID and CONTAINER_NAMESPACE.
 *
 * When the process's stdio is freed, the logger first gets EOF on fds 3
 * and 4 (its pipes are the shim's copies' destinations); one still running
 * LOGGER_GRACE_MS later gets SIGTERM, and SIGKILL LOGGER_KILL_MS after
 * that.  It is reaped by the shim's reaper whenever it exits. */
#ifndef REFSHIM_LOGGER_H
#define REFSHIM_LOGGER_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "loop.h"
#include "reaper.h"

#define LOGGER_READY_MS 30000
#define LOGGER_GRACE_MS 2000
#define LOGGER_KILL_MS 10000

typedef struct logger logger;

/* binary:// or binary-v2://: true, *v2 says which */
bool logger_uri (const char *uri, bool *v2);

/* parses uri, starts the logger; w[0], w[1]: the shim's ends of the
 * logger's stdout and stderr pipes (blocking, close-on-exec) */
int logger_start (sc_loop *loop, reaper *reap, const char *uri, const char *id, const char *ns,
                  int w[2], logger **out, sc_error *err);

/* cb (data, NULL) once the logger is ready, cb (data, why) if it failed to
 * say so (exited, closed fd 5 without the byte binary-v2 needs, or stayed
 * silent for timeout_ms).  Once only; not at all after logger_release. */
void logger_when_ready (logger *l, int64_t timeout_ms, void (*cb) (void *data, const char *why),
                        void *data);

/* the process is done with it (see above); NULL is fine */
void logger_release (logger *l);

#endif
