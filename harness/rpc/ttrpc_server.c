#include "ttrpc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "pb.h"
#include "ttrpc/ttrpc.pb-c.h"

typedef struct handler_entry
{
  char *service;
  char *method;
  sc_ttrpc_handler fn;
  void *data;
} handler_entry;

typedef struct server_conn server_conn;

struct sc_ttrpc_call
{
  sc_ttrpc_call *next, *prev; /* in the server's list of pending calls */
  sc_ttrpc_server *server;
  server_conn *sconn;         /* NULL once the connection is gone */
  uint32_t stream_id;
  Ttrpc__Request *req;
  int64_t deadline_ns;
  sc_ttrpc_cancel_cb cancel_cb;
  void *cancel_data;
  bool cancelled;
  bool in_handler;
  bool finished;
};

struct server_conn
{
  server_conn *next, *prev;
  sc_ttrpc_server *server;
  sc_conn *conn;
};

struct sc_ttrpc_server
{
  sc_loop *loop;
  sc_frame_budget input; /* what all connections may hold of partial requests */
  handler_entry *handlers;
  size_t nhandlers;
  bool same_user;
  size_t max_data;
  int listen_fd;
  sc_watch listen_watch;
  /* out of fds: the listener rests (no busy loop on a pending connection we
   * cannot take) until a connection closes or the back-off ends */
  sc_timer accept_retry;
  int accept_backoff_ms;
  size_t accept_pauses;
  char *bound_path;
  server_conn *conns;
  size_t nconns;
  size_t max_conns;     /* 0: no limit */
  size_t refused_conns; /* closed at accept: over max_conns */
  size_t oversized;     /* requests over max_data, answered ResourceExhausted */
  size_t refused_input; /* requests the input budget had no room for, the same */
  sc_ttrpc_call *calls;
  size_t ncalls;
  void (*idle_cb) (sc_ttrpc_server *, void *);
  void *idle_data;
  int (*status_filter) (int code);
  sc_ttrpc_reply_filter reply_filter;
  bool raw_messages;
};

sc_ttrpc_server *
sc_ttrpc_server_new (sc_loop *loop)
{
  sc_ttrpc_server *s = sc_xcalloc (1, sizeof (*s));
  s->loop = loop;
  s->same_user = true;
  s->max_data = SC_FRAME_MAX_DATA;
  s->input.max = SC_TTRPC_SERVER_INPUT_BUDGET;
  s->input.small = (size_t) 64 << 10;
  s->listen_fd = -1;
  return s;
}

void
sc_ttrpc_server_require_same_user (sc_ttrpc_server *s, bool on)
{
  s->same_user = on;
}

void
sc_ttrpc_server_set_max_data (sc_ttrpc_server *s, size_t max_data)
{
  s->max_data = max_data ? max_data : SC_FRAME_MAX_DATA;
}

void
sc_ttrpc_server_set_raw_messages (sc_ttrpc_server *s, bool raw)
{
  s->raw_messages = raw;
}

void
sc_ttrpc_server_set_reply_filter (sc_ttrpc_server *s, sc_ttrpc_reply_filter filter)
{
  s->reply_filter = filter;
}

void
sc_ttrpc_server_set_status_filter (sc_ttrpc_server *s, int (*filter) (int code))
{
  s->status_filter = filter;
}

void
sc_ttrpc_server_on_idle (sc_ttrpc_server *s, void (*cb) (sc_ttrpc_server *, void *), void *data)
{
  s->idle_cb = cb;
  s->idle_data = data;
}

void
sc_ttrpc_server_register (sc_ttrpc_server *s, const char *service, const char *method,
                          sc_ttrpc_handler handler, void *data)
{
  for (size_t i = 0; i < s->nhandlers; i++)
    if (strcmp (s->handlers[i].service, service) == 0
        && strcmp (s->handlers[i].method, method) == 0)
      {
        s->handlers[i].fn = handler;
        s->handlers[i].data = data;
        return;
      }
  s->handlers = sc_xrealloc (s->handlers, (s->nhandlers + 1) * sizeof (*s->handlers));
  s->handlers[s->nhandlers++] = (handler_entry){ sc_xstrdup (service), sc_xstrdup (method),
                                                 handler, data };
}

size_t
sc_ttrpc_server_connections (const sc_ttrpc_server *s)
{
  return s->nconns;
}

size_t
sc_ttrpc_server_calls_pending (const sc_ttrpc_server *s)
{
  return s->ncalls;
}

/* --- replies --- */

/* attempt 0 sends the reply; a reply over the frame limit is replaced by
 * ResourceExhausted with the reason (attempt 1), or with no message if even
 * that does not fit (attempt 2), then dropped.  (A small limit once made this
 * recurse forever: found by the ttrpc_server fuzz target.) */
static void
send_response_attempt (server_conn *sc, uint32_t stream_id, int code, const char *message,
                       const uint8_t *payload, size_t len, int attempt)
{
  if (sc == NULL || !sc_conn_is_open (sc->conn))
    return;
  Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
  Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
  cleanup_free char *utf8 = NULL;
  if (code != SC_OK)
    {
      st.code = sc->server->status_filter ? sc->server->status_filter (code) : code;
      /* messages echo request fields: a Go client cannot decode invalid
       * UTF-8 (containerd-shim-runc-v2 even drops the connection on it) */
      utf8 = sc_utf8_sanitize (message ? message : "");
      st.message = sc->server->raw_messages ? (char *) (message ? message : "") : utf8;
      resp.status = &st;
    }
  else
    {
      resp.payload.data = (uint8_t *) payload;
      resp.payload.len = len;
    }
  size_t blen;
  uint8_t *body = sc_pb_pack (&resp.base, &blen);
  cleanup_error sc_error err = SC_ERROR_INIT;
  if (sc_conn_send (sc->conn, stream_id, SC_MSG_RESPONSE, 0, body, blen, &err) < 0
      && err.errnum == EMSGSIZE && attempt < 2)
    {
      /* ttrpc >= 1.2 refuses oversized sends; tell the client instead of
       * sending a frame it must reject */
      char *m = attempt == 0 ? sc_xasprintf ("response too large: %s", err.msg) : NULL;
      send_response_attempt (sc, stream_id, SC_RESOURCE_EXHAUSTED, m, NULL, 0, attempt + 1);
      free (m);
    }
  free (body);
}

static void
send_response (server_conn *sc, uint32_t stream_id, int code, const char *message,
               const uint8_t *payload, size_t len)
{
  send_response_attempt (sc, stream_id, code, message, payload, len, 0);
}

static void
unlink_call (sc_ttrpc_call *call)
{
  sc_ttrpc_server *s = call->server;
  if (call->prev)
    call->prev->next = call->next;
  else if (s->calls == call)
    s->calls = call->next;
  if (call->next)
    call->next->prev = call->prev;
  call->next = call->prev = NULL;
  s->ncalls--;
}

static void
free_call (sc_ttrpc_call *call)
{
  if (call->req)
    ttrpc__request__free_unpacked (call->req, NULL);
  free (call);
}

static void
finish (sc_ttrpc_call *call, int code, const char *message, const uint8_t *payload, size_t len)
{
  if (call->finished)
    return;
  call->finished = true;
  cleanup_free uint8_t *filtered = NULL;
  if (code == SC_OK && call->server->reply_filter && call->req)
    {
      size_t flen = 0;
      filtered = call->server->reply_filter (call->req->service, call->req->method, payload, len, &flen);
      if (filtered)
        payload = filtered, len = flen;
    }
  if (!call->cancelled)
    send_response (call->sconn, call->stream_id, code, message, payload, len);
  unlink_call (call);
  /* a handler replying synchronously: the dispatcher frees after return */
  if (!call->in_handler)
    free_call (call);
}

void
sc_ttrpc_call_reply (sc_ttrpc_call *call, const uint8_t *payload, size_t len)
{
  finish (call, SC_OK, NULL, payload, len);
}

void
sc_ttrpc_call_reply_msg (sc_ttrpc_call *call, const ProtobufCMessage *msg)
{
  size_t len;
  uint8_t *buf = sc_pb_pack (msg, &len);
  finish (call, SC_OK, NULL, buf, len);
  free (buf);
}

void
sc_ttrpc_call_error (sc_ttrpc_call *call, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *m = sc_xvasprintf (fmt, ap);
  va_end (ap);
  finish (call, code == SC_OK ? SC_UNKNOWN : code, m, NULL, 0);
  free (m);
}

ProtobufCMessage *
sc_ttrpc_call_unpack (sc_ttrpc_call *call, const ProtobufCMessageDescriptor *desc)
{
  ProtobufCMessage *m
    = protobuf_c_message_unpack (desc, NULL, call->req->payload.len, call->req->payload.data);
  if (m == NULL)
    sc_ttrpc_call_error (call, SC_INTERNAL,
                         "ttrpc: error unmarshalling payload: not a valid %s (%zu bytes)",
                         desc->name, call->req->payload.len);
  return m;
}

const char *
sc_ttrpc_call_service (const sc_ttrpc_call *call)
{
  return call->req->service;
}

const char *
sc_ttrpc_call_method (const sc_ttrpc_call *call)
{
  return call->req->method;
}

const uint8_t *
sc_ttrpc_call_payload (const sc_ttrpc_call *call, size_t *len)
{
  *len = call->req->payload.len;
  return call->req->payload.data;
}

uint32_t
sc_ttrpc_call_stream_id (const sc_ttrpc_call *call)
{
  return call->stream_id;
}

const char *
sc_ttrpc_call_metadata (const sc_ttrpc_call *call, const char *key)
{
  for (size_t i = 0; i < call->req->n_metadata; i++)
    if (strcasecmp (call->req->metadata[i]->key, key) == 0)
      return call->req->metadata[i]->value;
  return NULL;
}

int64_t
sc_ttrpc_call_deadline_ns (const sc_ttrpc_call *call)
{
  return call->deadline_ns;
}

bool
sc_ttrpc_call_cancelled (const sc_ttrpc_call *call)
{
  return call->cancelled;
}

void
sc_ttrpc_call_set_cancel (sc_ttrpc_call *call, sc_ttrpc_cancel_cb cb, void *data)
{
  call->cancel_cb = cb;
  call->cancel_data = data;
}

/* --- dispatch --- */

static void
dispatch_request (server_conn *sc, const sc_frame *f)
{
  sc_ttrpc_server *s = sc->server;
  uint32_t id = f->header.stream_id;
  if (id % 2 == 0)
    {
      send_response (sc, id, SC_INVALID_ARGUMENT,
                     "StreamID must be odd for client initiated streams", NULL, 0);
      return;
    }
  Ttrpc__Request *req = ttrpc__request__unpack (NULL, f->header.length, f->data);
  if (req == NULL)
    {
      char *m = sc_xasprintf ("unmarshal request error: %u bytes are not a ttrpc.Request",
                              f->header.length);
      send_response (sc, id, SC_INVALID_ARGUMENT, m, NULL, 0);
      free (m);
      return;
    }
  handler_entry *h = NULL;
  bool service_known = false;
  for (size_t i = 0; i < s->nhandlers; i++)
    if (strcmp (s->handlers[i].service, req->service) == 0)
      {
        service_known = true;
        if (strcmp (s->handlers[i].method, req->method) == 0)
          {
            h = &s->handlers[i];
            break;
          }
      }
  if (h == NULL)
    {
      char *m = service_known ? sc_xasprintf ("method %s", req->method)
                              : sc_xasprintf ("service %s", req->service);
      send_response (sc, id, SC_UNIMPLEMENTED, m, NULL, 0);
      free (m);
      ttrpc__request__free_unpacked (req, NULL);
      return;
    }

  sc_ttrpc_call *call = sc_xcalloc (1, sizeof (*call));
  call->server = s;
  call->sconn = sc;
  call->stream_id = id;
  call->req = req;
  if (req->timeout_nano > 0)
    call->deadline_ns = sc_now_mono_ns () + req->timeout_nano;
  call->next = s->calls;
  if (s->calls)
    s->calls->prev = call;
  s->calls = call;
  s->ncalls++;

  call->in_handler = true;
  h->fn (call, h->data);
  call->in_handler = false;
  if (call->finished)
    free_call (call);
}

static void
conn_frame (sc_conn *conn, const sc_frame *f, void *data)
{
  server_conn *sc = data;
  if (f->header.type != SC_MSG_REQUEST)
    return; /* ttrpc 1.1: other types are ignored "for future compat" */
  dispatch_request (sc, f);
}

static void
conn_oversized (sc_conn *conn, const sc_frame_header *h, void *data)
{
  server_conn *sc = data;
  char *m;
  if (h->length <= sc->server->max_data)
    {
      sc->server->refused_input++;
      m = sc_xasprintf ("message length %u refused: the server is receiving %zu bytes of other "
                        "requests (limit %zu)",
                        h->length, sc->server->input.used, sc->server->input.max);
    }
  else
    {
      sc->server->oversized++;
      m = sc_xasprintf ("message length %u exceed maximum message size of %zu", h->length,
                        sc->server->max_data);
    }
  send_response (sc, h->stream_id, SC_RESOURCE_EXHAUSTED, m, NULL, 0);
  free (m);
}

static void
cancel_calls_of (sc_ttrpc_server *s, server_conn *sc)
{
  /* collect first: cancel callbacks may finish other calls */
  for (;;)
    {
      sc_ttrpc_call *victim = NULL;
      for (sc_ttrpc_call *c = s->calls; c; c = c->next)
        if ((sc == NULL || c->sconn == sc) && !c->cancelled)
          {
            victim = c;
            break;
          }
      if (victim == NULL)
        break;
      victim->cancelled = true;
      victim->sconn = NULL;
      if (victim->cancel_cb)
        victim->cancel_cb (victim, victim->cancel_data);
      if (!victim->finished)
        {
          victim->finished = true;
          unlink_call (victim);
          if (!victim->in_handler)
            free_call (victim);
        }
    }
}

static void accept_resume (sc_timer *t);

static void
drop_conn (sc_ttrpc_server *s, server_conn *sc)
{
  if (s->accept_retry.active) /* an fd is about to be free: take the waiting connection */
    sc_timer_start (s->loop, &s->accept_retry, 0, accept_resume, s);
  if (sc->prev)
    sc->prev->next = sc->next;
  else
    s->conns = sc->next;
  if (sc->next)
    sc->next->prev = sc->prev;
  s->nconns--;
  cancel_calls_of (s, sc);
  sc_conn_set_input_budget (sc->conn, NULL); /* the conn may outlive s (deferred free) */
  sc_conn_free (sc->conn);
  free (sc);
}

static void
conn_closed (sc_conn *conn, int errnum, void *data)
{
  server_conn *sc = data;
  sc_ttrpc_server *s = sc->server;
  drop_conn (s, sc);
  if (s->nconns == 0 && s->idle_cb)
    s->idle_cb (s, s->idle_data);
}

static const sc_conn_ops server_conn_ops = { conn_frame, conn_oversized, conn_closed };

static bool
peer_allowed (sc_ttrpc_server *s, int fd)
{
  if (!s->same_user)
    return true;
  struct ucred cred;
  socklen_t len = sizeof (cred);
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
    return false;
  return cred.uid == geteuid () && cred.gid == getegid ();
}

int
sc_ttrpc_server_add_connection (sc_ttrpc_server *s, int fd, sc_error *err)
{
  server_conn *sc = sc_xcalloc (1, sizeof (*sc));
  sc->server = s;
  sc->conn = sc_conn_new (s->loop, fd, s->max_data, &server_conn_ops, sc, err);
  if (sc->conn == NULL)
    {
      free (sc);
      return -1;
    }
  sc_conn_set_output_limit (sc->conn, SC_TTRPC_SERVER_OUTPUT_LIMIT);
  sc_conn_set_input_budget (sc->conn, &s->input);
  sc->next = s->conns;
  if (s->conns)
    s->conns->prev = sc;
  s->conns = sc;
  s->nconns++;
  return 0;
}

static void
accept_resume (sc_timer *t)
{
  sc_ttrpc_server *s = t->data;
  if (s->listen_fd >= 0)
    sc_watch_modify (&s->listen_watch, EPOLLIN);
}

void
sc_ttrpc_server_set_max_connections (sc_ttrpc_server *s, size_t max)
{
  s->max_conns = max;
}

size_t
sc_ttrpc_server_refused_connections (const sc_ttrpc_server *s)
{
  return s->refused_conns;
}

size_t
sc_ttrpc_server_oversized_requests (const sc_ttrpc_server *s)
{
  return s->oversized;
}

size_t
sc_ttrpc_server_accept_pauses (const sc_ttrpc_server *s)
{
  return s->accept_pauses;
}

static size_t
sum_over_conns (const sc_ttrpc_server *s, size_t (*of) (const sc_conn *))
{
  size_t n = 0;
  for (const server_conn *sc = s->conns; sc; sc = sc->next)
    n += of (sc->conn);
  return n;
}

size_t
sc_ttrpc_server_input_held (const sc_ttrpc_server *s)
{
  return s->input.used;
}

size_t
sc_ttrpc_server_refused_requests (const sc_ttrpc_server *s)
{
  return s->refused_input;
}

size_t
sc_ttrpc_server_queued_bytes (const sc_ttrpc_server *s)
{
  return sum_over_conns (s, sc_conn_queued);
}

size_t
sc_ttrpc_server_read_pauses (const sc_ttrpc_server *s)
{
  return sum_over_conns (s, sc_conn_read_pauses);
}

static void
on_accept (sc_watch *w, uint32_t events)
{
  sc_ttrpc_server *s = w->data;
  for (int i = 0; i < 64; i++)
    {
      int fd = accept4 (s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM))
        {
          /* the connection stays queued and the listener stays readable:
           * watching it now would spin.  Rest it, 50 ms doubling to 1 s, or
           * until a connection of ours closes. */
          sc_watch_modify (&s->listen_watch, 0);
          s->accept_backoff_ms = s->accept_backoff_ms ? s->accept_backoff_ms * 2 : 50;
          if (s->accept_backoff_ms > 1000)
            s->accept_backoff_ms = 1000;
          s->accept_pauses++;
          sc_timer_start (s->loop, &s->accept_retry, s->accept_backoff_ms, accept_resume, s);
          return;
        }
      if (fd < 0)
        return; /* EAGAIN, or a transient error: wait for the next wakeup */
      s->accept_backoff_ms = 0;
      if (!peer_allowed (s, fd))
        {
          close (fd); /* as ttrpc's UnixSocketRequireSameUser: no reply */
          continue;
        }
      if (s->max_conns && s->nconns >= s->max_conns)
        {
          s->refused_conns++;
          close (fd);
          continue;
        }
      sc_ttrpc_server_add_connection (s, fd, NULL);
    }
}

int
sc_ttrpc_server_adopt_listener (sc_ttrpc_server *s, int fd, sc_error *err)
{
  int fl = fcntl (fd, F_GETFL);
  if (fl < 0 || fcntl (fd, F_SETFL, fl | O_NONBLOCK) < 0)
    return sc_error_make (err, errno, "listener fd %d", fd);
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  if (sc_watch_start (s->loop, &s->listen_watch, fd, EPOLLIN, on_accept, s, err) < 0)
    return -1;
  s->listen_fd = fd;
  return 0;
}

int
sc_ttrpc_server_listen (sc_ttrpc_server *s, const char *path, unsigned mode, sc_error *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strncmp (path, "unix://", 7) == 0)
    path += 7;
  if (strlen (path) >= sizeof (sa.sun_path))
    return sc_error_make (err, ENAMETOOLONG, "socket path %s too long (max %zu)", path,
                          sizeof (sa.sun_path) - 1);
  strcpy (sa.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return sc_error_make (err, errno, "socket");
  unlink (path);
  if (bind (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
    {
      int e = errno;
      close (fd);
      return sc_error_make (err, e, "bind %s", path);
    }
  if (chmod (path, mode) < 0 || listen (fd, 128) < 0)
    {
      int e = errno;
      close (fd);
      unlink (path);
      return sc_error_make (err, e, "listen %s", path);
    }
  if (sc_ttrpc_server_adopt_listener (s, fd, err) < 0)
    {
      close (fd);
      unlink (path);
      return -1;
    }
  s->bound_path = sc_xstrdup (path);
  return 0;
}

void
sc_ttrpc_server_free (sc_ttrpc_server *s)
{
  if (s == NULL)
    return;
  sc_timer_stop (&s->accept_retry);
  if (s->listen_fd >= 0)
    {
      sc_watch_stop (&s->listen_watch);
      close (s->listen_fd);
    }
  if (s->bound_path)
    unlink (s->bound_path);
  free (s->bound_path);
  s->idle_cb = NULL;
  while (s->conns)
    drop_conn (s, s->conns);
  cancel_calls_of (s, NULL);
  for (size_t i = 0; i < s->nhandlers; i++)
    {
      free (s->handlers[i].service);
      free (s->handlers[i].method);
    }
  free (s->handlers);
  free (s);
}
