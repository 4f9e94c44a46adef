/* ttrpc client on the event loop: unary calls with per-call deadlines,
 * increasing odd stream ids, namespace metadata, many calls in flight on one
 * connection (a blocked Wait never delays a State). */
#ifndef SHIMCHECK_TTRPC_CLIENT_H
#define SHIMCHECK_TTRPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "status.h"

#define SC_NAMESPACE_KEY "containerd-namespace-ttrpc"

typedef struct sc_ttrpc_client sc_ttrpc_client;

typedef struct sc_kv
{
  const char *key;
  const char *value;
} sc_kv;

typedef struct sc_call_opts
{
  int64_t timeout_ms;      /* 0: no deadline (and timeout_nano not sent) */
  bool local_deadline;     /* enforce timeout_ms here only: send no timeout_nano (as
                              containerd, whose task calls carry no deadline) */
  const char *ns;          /* overrides the client's namespace; "" sends none */
  const sc_kv *metadata;   /* extra metadata */
  size_t n_metadata;
} sc_call_opts;

/* res is owned by the client; the callback may take res->payload/message
 * (set them to NULL). Called exactly once per call, always from the loop. */
typedef void (*sc_call_cb) (sc_rpc_result *res, void *data);

/* Wraps a connected socket (ownership taken). */
sc_ttrpc_client *sc_ttrpc_client_new (sc_loop *loop, int fd, sc_error *err);
/* Connects to "unix:///path", "/path" or "@abstract-name". (containerd's own
 * reading of shim addresses is in address.h.) */
int sc_ttrpc_client_dial (sc_loop *loop, const char *address, int64_t timeout_ms,
                          sc_ttrpc_client **out, sc_error *err);
/* Connects to a filesystem socket path, or an abstract socket name (without
 * the leading NUL), retrying refused/missing sockets until timeout_ms
 * (<= 0: a single attempt that never sleeps). */
int sc_ttrpc_client_dial_unix (sc_loop *loop, const char *path, bool abstract,
                               int64_t timeout_ms, sc_ttrpc_client **out, sc_error *err);
void sc_ttrpc_client_set_namespace (sc_ttrpc_client *c, const char *ns);
/* Closes the connection; pending calls complete with Canceled. */
void sc_ttrpc_client_free (sc_ttrpc_client *c);
bool sc_ttrpc_client_connected (const sc_ttrpc_client *c);
size_t sc_ttrpc_client_pending (const sc_ttrpc_client *c);
sc_loop *sc_ttrpc_client_loop (const sc_ttrpc_client *c);

/* Starts a call; returns its stream id. */
uint32_t sc_ttrpc_call_async (sc_ttrpc_client *c, const char *service, const char *method,
                              const uint8_t *payload, size_t len, const sc_call_opts *opts,
                              sc_call_cb cb, void *data);
/* Runs the loop until this call completes (other calls and loop users keep
 * being served meanwhile).  Fills *out (release with sc_rpc_result_release). */
void sc_ttrpc_call_sync (sc_ttrpc_client *c, const char *service, const char *method,
                         const uint8_t *payload, size_t len, const sc_call_opts *opts,
                         sc_rpc_result *out);

/* Robustness testing: sends `body` as a frame with the given stream id (0 =
 * the next odd id), type and flags, and waits for a Response on that id like
 * a normal call.  If `raw` is set it is sent as-is instead (header included),
 * and the response is awaited on stream_id. */
uint32_t sc_ttrpc_call_raw_async (sc_ttrpc_client *c, uint32_t stream_id, uint8_t type,
                                  uint8_t flags, const uint8_t *body, size_t len,
                                  const uint8_t *raw, size_t raw_len, int64_t timeout_ms,
                                  sc_call_cb cb, void *data);
void sc_ttrpc_call_raw_sync (sc_ttrpc_client *c, uint32_t stream_id, uint8_t type, uint8_t flags,
                             const uint8_t *body, size_t len, const uint8_t *raw, size_t raw_len,
                             int64_t timeout_ms, sc_rpc_result *out);

/* Aborts a pending call locally: its callback gets Canceled. */
void sc_ttrpc_call_cancel (sc_ttrpc_client *c, uint32_t stream_id);

/* Frames received that matched no pending call (late replies after a local
 * deadline, replies on unknown ids). */
uint64_t sc_ttrpc_client_stray_frames (const sc_ttrpc_client *c);

#endif
