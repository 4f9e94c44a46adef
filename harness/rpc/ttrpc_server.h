/* ttrpc server on the event loop (no thread per request), with the error
 * behaviour of ttrpc 1.1.1 (docs/shim-behaviour.md#ttrpc-errors):
 *   unknown service/method  -> Unimplemented "service X" / "method X"
 *   undecodable envelope    -> InvalidArgument "unmarshal request error: ..."
 *   frame > 4 MiB           -> body discarded, ResourceExhausted, conn kept
 *   even stream id          -> InvalidArgument on that id
 *   non-Request frame types -> ignored
 *   peer with another uid/gid (SO_PEERCRED) -> closed without a reply
 * Handlers may reply later (deferred replies, for Wait). */
#ifndef SHIMCHECK_TTRPC_SERVER_H
#define SHIMCHECK_TTRPC_SERVER_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "status.h"

typedef struct sc_ttrpc_server sc_ttrpc_server;
typedef struct sc_ttrpc_call sc_ttrpc_call;

typedef void (*sc_ttrpc_handler) (sc_ttrpc_call *call, void *data);
/* The client went away (or the server is shutting down) before the reply.
 * After this returns the server frees the call: forget the pointer. */
typedef void (*sc_ttrpc_cancel_cb) (sc_ttrpc_call *call, void *data);

sc_ttrpc_server *sc_ttrpc_server_new (sc_loop *loop);
/* Clean shutdown: stops listening (unlinking a socket it bound), closes every
 * connection, cancels pending calls (their cancel callbacks run), frees. */
void sc_ttrpc_server_free (sc_ttrpc_server *s);

void sc_ttrpc_server_register (sc_ttrpc_server *s, const char *service, const char *method,
                               sc_ttrpc_handler handler, void *data);
/* Default on: close connections from peers whose uid/gid differ from ours. */
void sc_ttrpc_server_require_same_user (sc_ttrpc_server *s, bool on);
void sc_ttrpc_server_set_max_data (sc_ttrpc_server *s, size_t max_data);
/* Replies queued for a connection past which its requests are no longer
 * read (a peer that sends and never reads cannot grow the server); reading
 * resumes at half. */
#define SC_TTRPC_SERVER_OUTPUT_LIMIT (1u << 20)
/* What all connections together may hold of requests still arriving (a
 * frame over 64 KiB that spans reads reserves its length); a frame past it is
 * read, discarded and answered ResourceExhausted, the connection kept. */
#define SC_TTRPC_SERVER_INPUT_BUDGET ((size_t) 16 << 20)

/* Binds a filesystem socket (a stale file is replaced), chmod to mode. */
int sc_ttrpc_server_listen (sc_ttrpc_server *s, const char *path, unsigned mode, sc_error *err);
/* Serves an already-listening socket (e.g. fd 3 handed over by `start`). */
int sc_ttrpc_server_adopt_listener (sc_ttrpc_server *s, int fd, sc_error *err);
/* Serves one already-connected socket (tests, fuzzing). */
int sc_ttrpc_server_add_connection (sc_ttrpc_server *s, int fd, sc_error *err);
size_t sc_ttrpc_server_connections (const sc_ttrpc_server *s);
size_t sc_ttrpc_server_calls_pending (const sc_ttrpc_server *s);
/* Rewrites every non-OK status code the server sends (test builds use it to
 * misbehave on purpose); NULL: none. */
void sc_ttrpc_server_set_status_filter (sc_ttrpc_server *s, int (*filter) (int code));
/* Rewrites successful replies (test builds: faults that only alter what a
 * reply says): returns a new heap payload and its length, or NULL to send
 * the reply as it is. */
typedef uint8_t *(*sc_ttrpc_reply_filter) (const char *service, const char *method,
                                           const uint8_t *payload, size_t len, size_t *out_len);
void sc_ttrpc_server_set_reply_filter (sc_ttrpc_server *s, sc_ttrpc_reply_filter filter);
/* Status messages are made valid UTF-8 (they echo request fields); test
 * builds turn that off to misbehave on purpose. */
/* at most max connections at once (0: no limit); more are closed at once */
void sc_ttrpc_server_set_max_connections (sc_ttrpc_server *s, size_t max);
size_t sc_ttrpc_server_refused_connections (const sc_ttrpc_server *s);
/* requests over the data limit (answered ResourceExhausted, not handled) */
size_t sc_ttrpc_server_oversized_requests (const sc_ttrpc_server *s);
/* how often the listener rested because no fd was left for a connection */
size_t sc_ttrpc_server_accept_pauses (const sc_ttrpc_server *s);
/* bytes of the input budget held now; requests refused for lack of it */
size_t sc_ttrpc_server_input_held (const sc_ttrpc_server *s);
size_t sc_ttrpc_server_refused_requests (const sc_ttrpc_server *s);
/* reply bytes queued on all open connections, not yet taken by the peers */
size_t sc_ttrpc_server_queued_bytes (const sc_ttrpc_server *s);
/* how often open connections stopped reading (SC_TTRPC_SERVER_OUTPUT_LIMIT) */
size_t sc_ttrpc_server_read_pauses (const sc_ttrpc_server *s);
void sc_ttrpc_server_set_raw_messages (sc_ttrpc_server *s, bool raw);
/* Called when the last connection closes (shims exit on that in some modes). */
void sc_ttrpc_server_on_idle (sc_ttrpc_server *s, void (*cb) (sc_ttrpc_server *, void *),
                              void *data);

/* --- calls --- */
const char *sc_ttrpc_call_service (const sc_ttrpc_call *call);
const char *sc_ttrpc_call_method (const sc_ttrpc_call *call);
const uint8_t *sc_ttrpc_call_payload (const sc_ttrpc_call *call, size_t *len);
uint32_t sc_ttrpc_call_stream_id (const sc_ttrpc_call *call);
/* Metadata value for key (case-insensitive), NULL if absent. */
const char *sc_ttrpc_call_metadata (const sc_ttrpc_call *call, const char *key);
/* CLOCK_MONOTONIC deadline from timeout_nano, 0 if none. */
int64_t sc_ttrpc_call_deadline_ns (const sc_ttrpc_call *call);
bool sc_ttrpc_call_cancelled (const sc_ttrpc_call *call);
void sc_ttrpc_call_set_cancel (sc_ttrpc_call *call, sc_ttrpc_cancel_cb cb, void *data);

/* Each finishes the call (exactly one of them, exactly once) and frees it. */
void sc_ttrpc_call_reply (sc_ttrpc_call *call, const uint8_t *payload, size_t len);
void sc_ttrpc_call_reply_msg (sc_ttrpc_call *call, const ProtobufCMessage *msg);
void sc_ttrpc_call_error (sc_ttrpc_call *call, int code, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Unpacks the payload as desc; on failure replies Internal "ttrpc: error
 * unmarshalling payload: ..." (as ttrpc does) and returns NULL. */
ProtobufCMessage *sc_ttrpc_call_unpack (sc_ttrpc_call *call, const ProtobufCMessageDescriptor *desc);

#endif
