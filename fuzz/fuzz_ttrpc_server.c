/* Fuzz target: the byte stream of one connection into our ttrpc server
 * (harness/rpc/ttrpc_server.c on the event loop, over a socketpair), with a
 * handler table that echoes, fails, answers later, never answers and
 * decodes a protobuf payload.  The first byte picks the write chunking and
 * (half the time) a small frame limit, so the discard path is cheap to reach.
 *
 * The input is parsed independently into the replies a ttrpc 1.1 server owes:
 *   Request, odd id, known method -> the handler's reply (Never: none)
 *   Request, even id              -> InvalidArgument
 *   Request, undecodable envelope -> InvalidArgument
 *   Request, unknown service/method -> Unimplemented
 *   any frame over the limit      -> ResourceExhausted once its body is
 *                                    discarded (connection kept)
 *   Response/Data/other types     -> nothing
 * Invariants: every byte the server writes is a well-formed Response frame
 * with a decodable envelope and a valid status code, matching one owed reply
 * (Echo: the same payload; a stream id may be reused while its first call
 * is pending, as ttrpc 1.1 allows); every owed reply arrives; the connection
 * survives and still answers a final request when the input ended on a frame
 * boundary; closing it leaves no connection and no pending call. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "containerd/task/shim.pb-c.h"
#include "frame.h"
#include "pb.h"
#include "status.h"
#include "ttrpc/ttrpc.pb-c.h"
#include "ttrpc_server.h"
#include "check.h"


#define SVC "fuzz.Svc"
#define MAX_OWED 4096

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct owed
{
  uint32_t id;
  int code;
  const uint8_t *payload; /* Echo: the reply must carry these bytes */
  size_t len;
  bool check_payload;
  bool got;
} owed;

static struct
{
  sc_loop *loop;
  sc_ttrpc_server *server;
  owed owed[MAX_OWED];
  size_t nowed;
  uint8_t *out;
  size_t out_len, out_cap;
  sc_timer later_timer;
  sc_ttrpc_call *later[64];
  size_t nlater;
  bool small; /* this input runs with a small frame limit */
  uint32_t probe_id; /* an odd stream id no frame of the input uses */
} T;

/* ------------------------------------------------------------------ handlers */

static void
h_echo (sc_ttrpc_call *call, void *data)
{
  size_t len;
  const uint8_t *p = sc_ttrpc_call_payload (call, &len);
  /* metadata and deadline lookups must cope with anything */
  (void) sc_ttrpc_call_metadata (call, "containerd-namespace-ttrpc");
  (void) sc_ttrpc_call_deadline_ns (call);
  sc_ttrpc_call_reply (call, p, len);
}

static int
fail_code (const uint8_t *p, size_t len)
{
  return len ? 1 + p[0] % 16 : SC_UNKNOWN;
}

static void
h_fail (sc_ttrpc_call *call, void *data)
{
  size_t len;
  const uint8_t *p = sc_ttrpc_call_payload (call, &len);
  sc_ttrpc_call_error (call, fail_code (p, len), "failed on purpose (%zu bytes)", len);
}

static void
later_fire (sc_timer *t)
{
  size_t n = T.nlater;
  T.nlater = 0;
  for (size_t i = 0; i < n; i++)
    {
      sc_ttrpc_call_set_cancel (T.later[i], NULL, NULL);
      sc_ttrpc_call_reply (T.later[i], NULL, 0);
    }
}

static void
later_cancelled (sc_ttrpc_call *call, void *data)
{
  for (size_t i = 0; i < T.nlater; i++)
    if (T.later[i] == call)
      T.later[i] = T.later[--T.nlater];
}

static void
h_later (sc_ttrpc_call *call, void *data)
{
  if (T.nlater == sizeof (T.later) / sizeof (T.later[0]))
    {
      sc_ttrpc_call_reply (call, NULL, 0);
      return;
    }
  T.later[T.nlater++] = call;
  sc_ttrpc_call_set_cancel (call, later_cancelled, NULL);
  sc_timer_start (T.loop, &T.later_timer, 0, later_fire, NULL);
}

static void
h_never (sc_ttrpc_call *call, void *data)
{
}

static void
h_msg (sc_ttrpc_call *call, void *data)
{
  Containerd__Task__V2__ConnectRequest *req
    = (void *) sc_ttrpc_call_unpack (call, &containerd__task__v2__connect_request__descriptor);
  if (req == NULL)
    return;
  Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
  r.shim_pid = 1;
  r.version = req->id;
  sc_ttrpc_call_reply_msg (call, &r.base);
  containerd__task__v2__connect_request__free_unpacked (req, NULL);
}

static const struct
{
  const char *method;
  sc_ttrpc_handler fn;
} handlers[] = {
  { "Echo", h_echo }, { "Fail", h_fail }, { "Later", h_later }, { "Never", h_never }, { "Msg", h_msg },
};

/* ------------------------------------------------------------------ model */

static void
owe (uint32_t id, int code, const uint8_t *payload, size_t len, bool check)
{
  if (getenv ("SHIMCHECK_FUZZ_TRACE"))
    fprintf (stderr, "owed id %u code %d\n", id, code);
  if (T.nowed == MAX_OWED)
    return;
  T.owed[T.nowed++] = (owed){ id, code, payload, len, check, false };
}

/* a reply carrying len payload bytes (or an error) over the limit comes back
 * as ResourceExhausted instead */
static int
fitted (int code, size_t payload_len, size_t max)
{
  Ttrpc__Response r = TTRPC__RESPONSE__INIT;
  r.payload.len = payload_len;
  r.payload.data = (uint8_t *) "";
  return code == SC_OK && ttrpc__response__get_packed_size (&r) > max ? SC_RESOURCE_EXHAUSTED
                                                                      : code;
}

/* what the server owes for one complete Request body */
static void
owe_request (uint32_t id, const uint8_t *body, size_t len, size_t max)
{
  Ttrpc__Request *req = id % 2 ? ttrpc__request__unpack (NULL, len, body) : NULL;
  if (req == NULL)
    {
      owe (id, SC_INVALID_ARGUMENT, NULL, 0, false);
      return;
    }
  int code = SC_UNIMPLEMENTED;
  if (strcmp (req->service, SVC) == 0)
    {
      const uint8_t *p = req->payload.data;
      size_t pl = req->payload.len;
      /* point into the input (the envelope is freed below) */
      const uint8_t *in = pl ? memmem (body, len, p, pl) : NULL;
      if (strcmp (req->method, "Echo") == 0)
        {
          ttrpc__request__free_unpacked (req, NULL);
          int echo = fitted (SC_OK, pl, max);
          owe (id, echo, in, pl, echo == SC_OK && (in != NULL || pl == 0));
          return;
        }
      if (strcmp (req->method, "Fail") == 0)
        code = fail_code (p, pl);
      else if (strcmp (req->method, "Later") == 0)
        code = SC_OK;
      else if (strcmp (req->method, "Never") == 0)
        code = -1;
      else if (strcmp (req->method, "Msg") == 0)
        {
          Containerd__Task__V2__ConnectRequest *m
            = containerd__task__v2__connect_request__unpack (NULL, pl, p);
          code = SC_INTERNAL;
          if (m)
            {
              Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
              r.shim_pid = 1;
              r.version = m->id;
              code = fitted (SC_OK, containerd__task__v2__connect_response__get_packed_size (&r), max);
              containerd__task__v2__connect_request__free_unpacked (m, NULL);
            }
        }
    }
  ttrpc__request__free_unpacked (req, NULL);
  if (code >= 0)
    owe (id, code, NULL, 0, false);
}

/* Walks the input as the server must; returns true if it ends on a frame
 * boundary (nothing half-sent). */
static bool
id_used (const uint8_t *d, size_t n, uint32_t id)
{
  uint8_t be[4] = { (uint8_t) (id >> 24), (uint8_t) (id >> 16), (uint8_t) (id >> 8), (uint8_t) id };
  return memmem (d, n, be, 4) != NULL;
}

static bool
model_input (const uint8_t *d, size_t n, size_t max)
{
  /* the final request's id appears nowhere in the input */
  T.probe_id = 0x7ffffff1u;
  while (id_used (d, n, T.probe_id))
    T.probe_id -= 2;
  size_t off = 0;
  while (off < n)
    {
      if (n - off < SC_FRAME_HEADER_LEN)
        return false;
      uint32_t len = (uint32_t) d[off] << 24 | (uint32_t) d[off + 1] << 16
                     | (uint32_t) d[off + 2] << 8 | d[off + 3];
      uint32_t id = (uint32_t) d[off + 4] << 24 | (uint32_t) d[off + 5] << 16
                    | (uint32_t) d[off + 6] << 8 | d[off + 7];
      uint8_t type = d[off + 8];
      off += SC_FRAME_HEADER_LEN;
      if (n - off < len)
        return false; /* an oversized body is answered once fully discarded */
      if (len > max)
        owe (id, SC_RESOURCE_EXHAUSTED, NULL, 0, false);
      else if (type == SC_MSG_REQUEST)
        owe_request (id, d + off, len, max);
      off += len;
    }
  return true;
}

/* ------------------------------------------------------------------ wire */

static void
drain (int fd)
{
  for (;;)
    {
      if (T.out_cap - T.out_len < 65536)
        {
          T.out_cap = T.out_cap * 2 + 65536;
          T.out = realloc (T.out, T.out_cap);
          CHECK (T.out != NULL);
        }
      ssize_t r = read (fd, T.out + T.out_len, T.out_cap - T.out_len);
      if (r <= 0)
        {
          CHECK (r == 0 || errno == EAGAIN);
          return;
        }
      T.out_len += (size_t) r;
    }
}

static void
settle (int fd)
{
  /* settled: a turn that ran nothing and read nothing (had we read bytes,
   * the server may now be able to write more) */
  for (long turns = 0;; turns++)
    {
      CHECK (turns < 100000);
      int n = sc_loop_run_once (T.loop, 0);
      CHECK (n >= 0);
      size_t before = T.out_len;
      if (fd >= 0)
        drain (fd);
      if (n == 0 && T.out_len == before)
        return;
    }
}

static void
send_all (int fd, const uint8_t *p, size_t n)
{
  while (n > 0)
    {
      ssize_t w = write (fd, p, n);
      if (w < 0)
        {
          CHECK (errno == EAGAIN);
          sc_loop_run_once (T.loop, 0);
          drain (fd);
          continue;
        }
      p += w;
      n -= (size_t) w;
    }
}

/* every byte received is a Response frame answering something owed */
static void
check_replies (bool probe_sent)
{
  sc_frame_reader r;
  sc_frame_reader_init (&r, 0);
  size_t off = 0;
  bool probe_seen = false;
  while (off < T.out_len)
    {
      sc_frame f;
      size_t used = 0;
      sc_frame_result res = sc_frame_reader_next (&r, T.out + off, T.out_len - off, &used, &f);
      off += used;
      CHECK (res == SC_FRAME_COMPLETE); /* the server never sends partial or huge frames */
      CHECK (f.header.type == SC_MSG_RESPONSE && f.header.flags == 0);
      Ttrpc__Response *resp = ttrpc__response__unpack (NULL, f.header.length, f.data);
      CHECK (resp != NULL);
      int code = resp->status ? resp->status->code : SC_OK;
      CHECK (code >= SC_OK && code <= SC_UNAUTHENTICATED);
      /* a Go client could decode it: messages are UTF-8 */
      CHECK (resp->status == NULL || sc_utf8_valid (resp->status->message));
      /* an error says why, unless even the reason would not fit the limit */
      CHECK (code == SC_OK
             || (resp->status
                 && (resp->status->message[0] != '\0' || code == SC_RESOURCE_EXHAUSTED)));
      if (probe_sent && f.header.stream_id == T.probe_id && !probe_seen)
        {
          CHECK (code == SC_OK && resp->payload.len == 3 && memcmp (resp->payload.data, "end", 3) == 0);
          probe_seen = true;
          ttrpc__response__free_unpacked (resp, NULL);
          continue;
        }
      if (getenv ("SHIMCHECK_FUZZ_TRACE"))
        fprintf (stderr, "reply id %u code %d message '%s' payload %zu\n", f.header.stream_id, code,
                 resp->status ? resp->status->message : "", resp->payload.len);
      /* a stream id may be reused while its first call is pending (ttrpc 1.1
       * does not refuse it), and a Later reply then comes after an Echo sent
       * behind it: an Echo whose bytes match first, then a reply that is not
       * checked (had it been the Echo's, the two replies are the same bytes) */
      owed *match = NULL;
      for (size_t i = 0; i < T.nowed && match == NULL; i++)
        if (!T.owed[i].got && T.owed[i].id == f.header.stream_id && T.owed[i].code == code
            && T.owed[i].check_payload && resp->payload.len == T.owed[i].len
            && (T.owed[i].len == 0
                || memcmp (resp->payload.data, T.owed[i].payload, T.owed[i].len) == 0))
          match = &T.owed[i];
      for (size_t i = 0; i < T.nowed && match == NULL; i++)
        if (!T.owed[i].got && T.owed[i].id == f.header.stream_id && T.owed[i].code == code
            && !T.owed[i].check_payload)
          match = &T.owed[i];
      /* under a small limit an error whose reason does not fit comes back as
       * ResourceExhausted */
      for (size_t i = 0; i < T.nowed && match == NULL && code == SC_RESOURCE_EXHAUSTED && T.small;
           i++)
        if (!T.owed[i].got && T.owed[i].id == f.header.stream_id && T.owed[i].code != SC_OK)
          match = &T.owed[i];
      CHECK (match != NULL);
      match->got = true;
      ttrpc__response__free_unpacked (resp, NULL);
    }
  sc_frame_reader_release (&r);
  if (T.nowed < MAX_OWED)
    for (size_t i = 0; i < T.nowed; i++)
      CHECK (T.owed[i].got);
  CHECK (probe_seen == probe_sent);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (T.loop == NULL)
    {
      sc_error err = SC_ERROR_INIT;
      CHECK (sc_loop_new (&T.loop, &err) == 0);
      T.server = sc_ttrpc_server_new (T.loop);
      for (size_t i = 0; i < sizeof (handlers) / sizeof (handlers[0]); i++)
        sc_ttrpc_server_register (T.server, SVC, handlers[i].method, handlers[i].fn, NULL);
    }
  if (size < 1)
    return 0;
  uint8_t knobs = data[0];
  data++;
  size--;
  size_t max = (knobs & 0x80) ? (size_t) (64 + (knobs & 0x3f)) : SC_FRAME_MAX_DATA;
  size_t chunk = (knobs & 0x08) ? (size_t) (knobs & 0x07) + 1 : (size_t) 64 << (knobs & 0x07);
  sc_ttrpc_server_set_max_data (T.server, max);
  T.small = max < SC_FRAME_MAX_DATA;

  T.nowed = 0;
  T.out_len = 0;
  bool boundary = model_input (data, size, max);

  int sv[2];
  sc_error err = SC_ERROR_INIT;
  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
  CHECK (sc_ttrpc_server_add_connection (T.server, sv[0], &err) == 0);
  for (size_t off = 0; off < size; off += chunk)
    {
      send_all (sv[1], data + off, size - off < chunk ? size - off : chunk);
      sc_loop_run_once (T.loop, 0);
      drain (sv[1]);
    }
  settle (sv[1]);
  /* the connection survived everything */
  CHECK (sc_ttrpc_server_connections (T.server) == 1);
  if (boundary)
    {
      /* and still answers */
      Ttrpc__Request req = TTRPC__REQUEST__INIT;
      req.service = (char *) SVC;
      req.method = (char *) "Echo";
      req.payload.data = (uint8_t *) "end";
      req.payload.len = 3;
      size_t len;
      uint8_t *body = sc_pb_pack (&req.base, &len);
      uint8_t hdr[SC_FRAME_HEADER_LEN];
      sc_frame_header h = { (uint32_t) len, T.probe_id, SC_MSG_REQUEST, 0 };
      sc_frame_header_encode (&h, hdr);
      send_all (sv[1], hdr, sizeof (hdr));
      send_all (sv[1], body, len);
      free (body);
      settle (sv[1]);
    }
  check_replies (boundary);
  close (sv[1]);
  settle (-1);
  /* the hang-up normally arrives in the first turn; once in ~10^6 inputs it
   * did not, so give it up to a second before calling it a leaked connection */
  for (int i = 0; i < 100 && sc_ttrpc_server_connections (T.server) > 0; i++)
    sc_loop_run_once (T.loop, 10);
  CHECK (sc_ttrpc_server_connections (T.server) == 0);
  CHECK (sc_ttrpc_server_calls_pending (T.server) == 0);
  CHECK (T.nlater == 0);
  return 0;
}
