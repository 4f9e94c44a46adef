#include "ttrpc_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "pb.h"
#include "ttrpc/ttrpc.pb-c.h"

typedef struct pending
{
  struct pending *next, *prev;
  sc_ttrpc_client *client;
  uint32_t stream_id;
  sc_call_cb cb;
  void *data;
  sc_timer deadline;
  int64_t started_ns;
  char *what; /* "service/method" for messages */
  int fail_code;
} pending;

struct sc_ttrpc_client
{
  sc_loop *loop;
  sc_conn *conn;
  uint32_t next_id;
  char *ns;
  pending *calls;
  size_t npending;
  int close_errnum;
  bool closed;
  uint64_t stray;
};

static void on_frame (sc_conn *conn, const sc_frame *f, void *data);
static void on_close (sc_conn *conn, int errnum, void *data);
static const sc_conn_ops client_ops = { on_frame, NULL, on_close };

sc_ttrpc_client *
sc_ttrpc_client_new (sc_loop *loop, int fd, sc_error *err)
{
  sc_ttrpc_client *c = sc_xcalloc (1, sizeof (*c));
  c->loop = loop;
  c->next_id = 1;
  c->conn = sc_conn_new (loop, fd, 0, &client_ops, c, err);
  if (c->conn == NULL)
    {
      free (c);
      return NULL;
    }
  return c;
}

int
sc_ttrpc_client_dial (sc_loop *loop, const char *address, int64_t timeout_ms,
                      sc_ttrpc_client **out, sc_error *err)
{
  if (strncmp (address, "unix://", 7) == 0)
    return sc_ttrpc_client_dial_unix (loop, address + 7, false, timeout_ms, out, err);
  if (address[0] == '/')
    return sc_ttrpc_client_dial_unix (loop, address, false, timeout_ms, out, err);
  return sc_ttrpc_client_dial_unix (loop, address[0] == '@' ? address + 1 : address, true,
                                    timeout_ms, out, err);
}

int
sc_ttrpc_client_dial_unix (sc_loop *loop, const char *path, bool abstract, int64_t timeout_ms,
                           sc_ttrpc_client **out, sc_error *err)
{
  struct sockaddr_un sa;
  memset (&sa, 0, sizeof (sa));
  sa.sun_family = AF_UNIX;
  socklen_t salen;
  const char *address = path;
  size_t plen = strlen (path);
  if (plen + (abstract ? 1 : 0) >= sizeof (sa.sun_path))
    return sc_error_make (err, ENAMETOOLONG, "socket address %s too long (%zu bytes, max %zu)",
                          address, plen, sizeof (sa.sun_path) - 1);
  if (abstract)
    {
      sa.sun_path[0] = '\0';
      memcpy (sa.sun_path + 1, path, plen);
      salen = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + plen);
    }
  else
    {
      memcpy (sa.sun_path, path, plen);
      salen = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + plen + 1);
    }

  /* A unix-socket connect either succeeds, fails, or (listen backlog full)
   * would block; retry refused/missing until the deadline like containerd's
   * dialer does. */
  /* timeout_ms <= 0: one attempt, never sleeps (safe inside a loop callback) */
  int64_t deadline = timeout_ms > 0 ? sc_deadline_in_ms (timeout_ms) : 0;
  int last = 0;
  for (;;)
    {
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0)
        return sc_error_make (err, errno, "socket");
      if (connect (fd, (struct sockaddr *) &sa, salen) == 0 || errno == EINPROGRESS)
        {
          sc_ttrpc_client *c = sc_ttrpc_client_new (loop, fd, err);
          if (c == NULL)
            return -1;
          *out = c;
          return 0;
        }
      last = errno;
      close (fd);
      if (last == EAGAIN && sc_now_mono_ns () < deadline)
        {
          usleep (2000);
          continue;
        }
      if ((last == ECONNREFUSED || last == ENOENT) && sc_now_mono_ns () < deadline)
        {
          usleep (10000);
          continue;
        }
      break;
    }
  return sc_error_make (err, last, "connect %s%s", abstract ? "@" : "", path);
}

void
sc_ttrpc_client_set_namespace (sc_ttrpc_client *c, const char *ns)
{
  free (c->ns);
  c->ns = ns ? sc_xstrdup (ns) : NULL;
}

bool
sc_ttrpc_client_connected (const sc_ttrpc_client *c)
{
  return c != NULL && !c->closed && sc_conn_is_open (c->conn);
}

size_t
sc_ttrpc_client_pending (const sc_ttrpc_client *c)
{
  return c->npending;
}

sc_loop *
sc_ttrpc_client_loop (const sc_ttrpc_client *c)
{
  return c->loop;
}

uint64_t
sc_ttrpc_client_stray_frames (const sc_ttrpc_client *c)
{
  return c->stray;
}

static void
unlink_pending (sc_ttrpc_client *c, pending *p)
{
  if (p->prev)
    p->prev->next = p->next;
  else
    c->calls = p->next;
  if (p->next)
    p->next->prev = p->prev;
  p->next = p->prev = NULL;
  c->npending--;
  sc_timer_stop (&p->deadline);
}

/* completes p (already unlinked) with res and frees it */
static void
complete (pending *p, sc_rpc_result *res)
{
  res->elapsed_ns = sc_now_mono_ns () - p->started_ns;
  if (p->cb)
    p->cb (res, p->data);
  sc_rpc_result_release (res);
  free (p->what);
  free (p);
}

static void
complete_local (sc_ttrpc_client *c, pending *p, int code, const char *fmt_what)
{
  unlink_pending (c, p);
  sc_rpc_result res = { 0 };
  sc_rpc_result_set (&res, code, true, "%s: %s", p->what, fmt_what);
  complete (p, &res);
}

static pending *
find (sc_ttrpc_client *c, uint32_t id)
{
  for (pending *p = c->calls; p; p = p->next)
    if (p->stream_id == id)
      return p;
  return NULL;
}

static void
on_frame (sc_conn *conn, const sc_frame *f, void *data)
{
  sc_ttrpc_client *c = data;
  pending *p = find (c, f->header.stream_id);
  if (p == NULL || f->header.type != SC_MSG_RESPONSE)
    {
      c->stray++;
      return;
    }
  unlink_pending (c, p);
  sc_rpc_result res = { 0 };
  sc_rpc_result_from_response (&res, f->data, f->header.length);
  complete (p, &res);
}

static void
fail_all (sc_ttrpc_client *c, int code, const char *why)
{
  while (c->calls)
    complete_local (c, c->calls, code, why);
}

static void
on_close (sc_conn *conn, int errnum, void *data)
{
  sc_ttrpc_client *c = data;
  c->closed = true;
  c->close_errnum = errnum;
  fail_all (c, SC_UNAVAILABLE,
            errnum ? "connection closed by peer (I/O error)" : "ttrpc: closed (peer hung up)");
}

static void
on_deadline (sc_timer *t)
{
  pending *p = t->data;
  complete_local (p->client, p, SC_DEADLINE_EXCEEDED, "context deadline exceeded");
}

static void
on_immediate_failure (sc_timer *t)
{
  pending *p = t->data;
  /* the message was stashed in `what` by start_pending's caller */
  sc_ttrpc_client *c = p->client;
  unlink_pending (c, p);
  sc_rpc_result res = { 0 };
  sc_rpc_result_set (&res, p->fail_code, true, "%s", p->what);
  complete (p, &res);
}

static pending *
new_pending (sc_ttrpc_client *c, uint32_t id, const char *what, sc_call_cb cb, void *data)
{
  pending *p = sc_xcalloc (1, sizeof (*p));
  p->client = c;
  p->stream_id = id;
  p->cb = cb;
  p->data = data;
  p->what = sc_xstrdup (what);
  p->started_ns = sc_now_mono_ns ();
  p->next = c->calls;
  if (c->calls)
    c->calls->prev = p;
  c->calls = p;
  c->npending++;
  return p;
}

static void
fail_soon (pending *p, int code, const char *why)
{
  p->fail_code = code;
  char *m = sc_xasprintf ("%s: %s", p->what, why);
  free (p->what);
  p->what = m;
  sc_timer_start (p->client->loop, &p->deadline, 0, on_immediate_failure, p);
}

static uint32_t
alloc_id (sc_ttrpc_client *c)
{
  uint32_t id = c->next_id;
  c->next_id += 2;
  return id;
}

uint32_t
sc_ttrpc_call_async (sc_ttrpc_client *c, const char *service, const char *method,
                     const uint8_t *payload, size_t len, const sc_call_opts *opts, sc_call_cb cb,
                     void *data)
{
  uint32_t id = alloc_id (c);
  char *what = sc_xasprintf ("%s/%s", service, method);
  pending *p = new_pending (c, id, what, cb, data);
  free (what);

  Ttrpc__Request req = TTRPC__REQUEST__INIT;
  req.service = (char *) service;
  req.method = (char *) method;
  req.payload.data = (uint8_t *) payload;
  req.payload.len = len;
  int64_t timeout_ms = opts ? opts->timeout_ms : 0;
  if (timeout_ms > 0 && !(opts && opts->local_deadline))
    req.timeout_nano = timeout_ms * 1000000;

  const char *ns = (opts && opts->ns) ? opts->ns : c->ns;
  size_t nmd = (ns && *ns ? 1 : 0) + (opts ? opts->n_metadata : 0);
  Ttrpc__KeyValue *kvs = sc_xcalloc (nmd, sizeof (*kvs));
  Ttrpc__KeyValue **kvp = sc_xcalloc (nmd, sizeof (*kvp));
  size_t k = 0;
  if (ns && *ns)
    {
      ttrpc__key_value__init (&kvs[k]);
      kvs[k].key = (char *) SC_NAMESPACE_KEY;
      kvs[k].value = (char *) ns;
      kvp[k] = &kvs[k];
      k++;
    }
  for (size_t i = 0; opts && i < opts->n_metadata; i++, k++)
    {
      ttrpc__key_value__init (&kvs[k]);
      kvs[k].key = (char *) opts->metadata[i].key;
      kvs[k].value = (char *) opts->metadata[i].value;
      kvp[k] = &kvs[k];
    }
  req.n_metadata = nmd;
  req.metadata = kvp;

  size_t blen;
  uint8_t *body = sc_pb_pack (&req.base, &blen);
  free (kvs);
  free (kvp);

  cleanup_error sc_error err = SC_ERROR_INIT;
  if (c->closed || !sc_conn_is_open (c->conn))
    fail_soon (p, SC_UNAVAILABLE, "ttrpc: closed");
  else if (sc_conn_send (c->conn, id, SC_MSG_REQUEST, 0, body, blen, &err) < 0)
    fail_soon (p, err.errnum == EMSGSIZE ? SC_RESOURCE_EXHAUSTED : SC_UNAVAILABLE, err.msg);
  else if (timeout_ms > 0)
    sc_timer_start (c->loop, &p->deadline, timeout_ms, on_deadline, p);
  free (body);
  return id;
}

uint32_t
sc_ttrpc_call_raw_async (sc_ttrpc_client *c, uint32_t stream_id, uint8_t type, uint8_t flags,
                         const uint8_t *body, size_t len, const uint8_t *raw, size_t raw_len,
                         int64_t timeout_ms, sc_call_cb cb, void *data)
{
  uint32_t id = stream_id ? stream_id : alloc_id (c);
  if (stream_id != 0 && stream_id >= c->next_id)
    c->next_id = (stream_id | 1) + 2;
  char *what = sc_xasprintf ("raw frame (stream %u, type %u, %zu bytes)", id, type,
                             raw ? raw_len : len);
  pending *p = new_pending (c, id, what, cb, data);
  free (what);
  cleanup_error sc_error err = SC_ERROR_INIT;
  int rc;
  if (c->closed || !sc_conn_is_open (c->conn))
    {
      fail_soon (p, SC_UNAVAILABLE, "ttrpc: closed");
      return id;
    }
  if (raw)
    rc = sc_conn_send_raw (c->conn, raw, raw_len, &err);
  else
    {
      /* bypass the size check so oversized frames can be sent on purpose */
      uint8_t hdr[SC_FRAME_HEADER_LEN];
      sc_frame_header h = { (uint32_t) len, id, type, flags };
      sc_frame_header_encode (&h, hdr);
      rc = sc_conn_send_raw (c->conn, hdr, sizeof (hdr), &err);
      if (rc == 0 && len > 0)
        rc = sc_conn_send_raw (c->conn, body, len, &err);
    }
  if (rc < 0)
    fail_soon (p, err.errnum == EMSGSIZE ? SC_RESOURCE_EXHAUSTED : SC_UNAVAILABLE, err.msg);
  else if (timeout_ms > 0)
    sc_timer_start (c->loop, &p->deadline, timeout_ms, on_deadline, p);
  return id;
}

typedef struct sync_state
{
  bool done;
  sc_rpc_result *out;
} sync_state;

static void
sync_cb (sc_rpc_result *res, void *data)
{
  sync_state *s = data;
  *s->out = *res;
  memset (res, 0, sizeof (*res)); /* ownership moved */
  s->done = true;
}

static bool
sync_done (void *data)
{
  return ((sync_state *) data)->done;
}

static void
run_sync (sc_ttrpc_client *c, sync_state *s)
{
  /* Each call carries its own deadline timer, so this cannot spin forever
   * unless the caller asked for no deadline. */
  if (sc_loop_run_until (c->loop, sync_done, s, 0) < 0 && !s->done)
    sc_rpc_result_set (s->out, SC_INTERNAL, true, "event loop failed: %s", strerror (errno));
}

void
sc_ttrpc_call_sync (sc_ttrpc_client *c, const char *service, const char *method,
                    const uint8_t *payload, size_t len, const sc_call_opts *opts,
                    sc_rpc_result *out)
{
  memset (out, 0, sizeof (*out));
  sync_state s = { false, out };
  sc_ttrpc_call_async (c, service, method, payload, len, opts, sync_cb, &s);
  run_sync (c, &s);
}

void
sc_ttrpc_call_raw_sync (sc_ttrpc_client *c, uint32_t stream_id, uint8_t type, uint8_t flags,
                        const uint8_t *body, size_t len, const uint8_t *raw, size_t raw_len,
                        int64_t timeout_ms, sc_rpc_result *out)
{
  memset (out, 0, sizeof (*out));
  sync_state s = { false, out };
  sc_ttrpc_call_raw_async (c, stream_id, type, flags, body, len, raw, raw_len, timeout_ms, sync_cb,
                           &s);
  run_sync (c, &s);
}

void
sc_ttrpc_call_cancel (sc_ttrpc_client *c, uint32_t stream_id)
{
  pending *p = find (c, stream_id);
  if (p)
    complete_local (c, p, SC_CANCELED, "context canceled");
}

void
sc_ttrpc_client_free (sc_ttrpc_client *c)
{
  if (c == NULL)
    return;
  sc_conn_close (c->conn);
  c->closed = true;
  fail_all (c, SC_CANCELED, "ttrpc: client closed");
  sc_conn_free (c->conn);
  free (c->ns);
  free (c);
}
