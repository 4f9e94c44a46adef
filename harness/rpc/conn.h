/* A framed ttrpc connection on the event loop: non-blocking reads through the
 * frame reassembler, a write queue flushed on EPOLLOUT.  Shared by the client
 * and the server; knows nothing about requests or responses. */
#ifndef SHIMCHECK_CONN_H
#define SHIMCHECK_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "loop.h"

typedef struct sc_conn sc_conn;

typedef struct sc_conn_ops
{
  void (*on_frame) (sc_conn *c, const sc_frame *f, void *data);
  /* a frame discarded unread: over max_data, or refused by the input budget
   * (then h->length is within max_data) */
  void (*on_oversized) (sc_conn *c, const sc_frame_header *h, void *data);
  /* peer closed (errnum 0) or an I/O error; the conn is already closed and
   * may be freed from here */
  void (*on_close) (sc_conn *c, int errnum, void *data);
} sc_conn_ops;

/* Takes ownership of fd (made non-blocking and close-on-exec). */
sc_conn *sc_conn_new (sc_loop *loop, int fd, size_t max_data, const sc_conn_ops *ops,
                      void *data, sc_error *err);
/* Queues one frame; fails with EMSGSIZE past max_data (nothing is sent) or
 * ENOTCONN when closed. */
int sc_conn_send (sc_conn *c, uint32_t stream_id, uint8_t type, uint8_t flags,
                  const uint8_t *data, size_t len, sc_error *err);
/* Queues raw bytes as they are (for robustness tests and fuzzing). */
int sc_conn_send_raw (sc_conn *c, const uint8_t *bytes, size_t len, sc_error *err);
bool sc_conn_is_open (const sc_conn *c);
int sc_conn_fd (const sc_conn *c);
size_t sc_conn_queued (const sc_conn *c);
/* Backpressure: while more than bytes are queued for the peer, no more is
 * read from it (until the queue is down to half); 0: no limit (default). */
void sc_conn_set_output_limit (sc_conn *c, size_t bytes);
/* Frames this conn must buffer draw on b, shared with other conns (NULL:
 * none; detaching gives back what it holds). */
void sc_conn_set_input_budget (sc_conn *c, sc_frame_budget *b);
/* how often the limit stopped reading */
size_t sc_conn_read_pauses (const sc_conn *c);
/* Closes the socket (no on_close callback); safe inside callbacks. */
void sc_conn_close (sc_conn *c);
/* Closes and frees; safe inside this conn's own callbacks (deferred). */
void sc_conn_free (sc_conn *c);

#endif
