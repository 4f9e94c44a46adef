/* Fuzz target: the reference shim's task service in process, over a real
 * ttrpc connection (socketpair, our client and the shim's server), with the
 * fake host of fake_host.c instead of runc, stdio, mounts and files.  The
 * input is a sequence of request records (records.h), so create, start,
 * exec, kill, wait, delete... are explored in any order, pipelined or not,
 * with processes exiting on their own in between.
 *
 * Invariants (abort on violation):
 *   I1  every request gets exactly one well-formed reply (a Wait may stay
 *       pending while its process lives); no stray frames
 *   I2  a Wait answered OK reports the exit status its /tasks/exit event had
 *   I3  a request about an id that has no task (never created, or deleted)
 *       is answered NotFound or InvalidArgument, never OK
 *   I4  a Create of an id that has a task is answered AlreadyExists
 *   I5  one /tasks/exit per process, with the status it really exited with
 *   I6  a task's init exit is published after every started exec's exit
 *   I7  no start or exec-started is published after that process's exit
 *   I8  once everything settled, no container has a job running or queued,
 *       and no pending Wait is for a process whose exit was published
 *   I9  a request with a NUL byte in a string field is refused
 *       InvalidArgument before anything else (ids are cut at a NUL) and
 *       changes nothing
 *   plus ASan/UBSan/LeakSanitizer: every input's memory is freed on teardown,
 *   and the connection (one for all inputs, as containerd keeps one per shim)
 *   has no call left pending.
 * Inputs stop at a Shutdown the shim accepts (a real shim exits there). */
#include <protobuf-c/protobuf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_host.h"
#include "jobs.h"
#include "log.h"
#include "pb.h"
#include "records.h"
#include "service.h"
#include "task_client.h"
#include "ttrpc_client.h"
#include "ttrpc_server.h"

#define MAX_RECORDS 64

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

typedef struct req
{
  int method;
  char id[128];
  char exec_id[128];
  bool decoded;
  bool replied;
  int code;
  size_t exits_at_send;
} req;

typedef struct model_id
{
  char id[128];
  bool present;
} model_id;

static struct
{
  sc_loop *loop;
  sc_ttrpc_server *server;
  task_service *svc;
  sc_ttrpc_client *client;
  req reqs[MAX_RECORDS];
  size_t nreqs;
  size_t inflight; /* requests other than Wait awaiting a reply */
  model_id ids[MAX_RECORDS];
  size_t nids;
  bool closing;
  bool trace; /* SHIMCHECK_FUZZ_TRACE: print each request and reply */
} T;

static model_id *
model (const char *id, bool add)
{
  for (size_t i = 0; i < T.nids; i++)
    if (strcmp (T.ids[i].id, id) == 0)
      return &T.ids[i];
  if (!add || T.nids == MAX_RECORDS)
    return NULL;
  model_id *m = &T.ids[T.nids++];
  snprintf (m->id, sizeof (m->id), "%s", id);
  m->present = false;
  return m;
}

static bool
is_method (const req *r, const char *name)
{
  return strcmp (sc_fuzz_methods[r->method], name) == 0;
}

static void
on_reply (sc_rpc_result *res, void *data)
{
  if (T.closing)
    return;
  req *r = &T.reqs[(size_t) (uintptr_t) data];
  /* I1: one reply, from the shim (not a local error), with a real code */
  CHECK (!r->replied);
  CHECK (!res->local);
  CHECK (res->code >= SC_OK && res->code <= SC_UNAUTHENTICATED);
  r->replied = true;
  r->code = res->code;
  if (T.trace)
    fprintf (stderr, "  <- #%zu %s %s/%s: %s %s\n", (size_t) (uintptr_t) data,
             sc_fuzz_methods[r->method], r->id, r->exec_id, sc_code_name (res->code),
             res->message ? res->message : "");
  if (!is_method (r, "Wait"))
    T.inflight--;
  if (!r->decoded)
    return;
  if (is_method (r, "Create") && res->code == SC_OK)
    model (r->id, true)->present = true;
  if (is_method (r, "Delete") && r->exec_id[0] == '\0' && res->code == SC_OK)
    {
      model_id *m = model (r->id, true);
      if (m)
        m->present = false;
    }
  if (is_method (r, "Wait") && res->code == SC_OK)
    {
      /* I2 */
      Containerd__Task__V2__WaitResponse *w
        = containerd__task__v2__wait_response__unpack (NULL, res->payload_len, res->payload);
      CHECK (w != NULL);
      int64_t st = fake_host_published_exit (r->id, r->exec_id[0] ? r->exec_id : r->id, 0);
      CHECK (st >= 0 && (uint32_t) st == w->exit_status);
      containerd__task__v2__wait_response__free_unpacked (w, NULL);
    }
}

static void
settle (void)
{
  /* a socketpair delivers at once: one turn with nothing ready, no timer
   * due and no fake completion queued means everything settled */
  for (long turns = 0;; turns++)
    {
      CHECK (turns < 100000); /* a livelock is a hang */
      int n = sc_loop_run_once (T.loop, 0);
      CHECK (n >= 0);
      if (n == 0 && !fake_host_busy ())
        return;
    }
}

/* the id and exec_id fields of a request, if it decodes */
static bool
decode_ids (const ProtobufCMethodDescriptor *md, const uint8_t *p, size_t len, req *r)
{
  ProtobufCMessage *m = protobuf_c_message_unpack (md->input, NULL, len, p);
  if (m == NULL)
    return false;
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (md->input, "id");
  if (f && f->type == PROTOBUF_C_TYPE_STRING)
    snprintf (r->id, sizeof (r->id), "%s", *(char **) ((char *) m + f->offset));
  f = protobuf_c_message_descriptor_get_field_by_name (md->input, "exec_id");
  if (f && f->type == PROTOBUF_C_TYPE_STRING)
    snprintf (r->exec_id, sizeof (r->exec_id), "%s", *(char **) ((char *) m + f->offset));
  protobuf_c_message_free_unpacked (m, NULL);
  return true;
}

static void
send_request (const sc_fuzz_record *rec, int method)
{
  req *r = &T.reqs[T.nreqs];
  memset (r, 0, sizeof (*r));
  r->method = method;
  const ProtobufCMethodDescriptor *md = sc_task_method (sc_fuzz_methods[method]);
  CHECK (md != NULL);
  r->decoded = decode_ids (md, rec->payload, rec->len, r);
  bool nul = r->decoded && !is_method (r, "Checkpoint")
             && sc_pb_has_nul_string (md->input, rec->payload, rec->len);
  if (nul)
    r->decoded = false; /* for the model: the shim does nothing with it */
  r->exits_at_send = fake_host_exits_published ();
  bool settled = T.inflight == 0;
  if (settled && r->decoded && !is_method (r, "Connect") && !is_method (r, "Shutdown")
      && !is_method (r, "Checkpoint"))
    {
      model_id *m = model (r->id, false);
      bool present = m && m->present;
      r->code = -1;
      if (is_method (r, "Create"))
        r->code = present ? SC_ALREADY_EXISTS : -1;
      else if (!present)
        r->code = -2; /* NotFound or InvalidArgument */
    }
  else
    r->code = -1;
  if (nul)
    r->code = SC_INVALID_ARGUMENT; /* I9 */
  int expect = r->code;
  if (T.trace)
    fprintf (stderr, "-> #%zu %s %s/%s%s%s\n", T.nreqs, sc_fuzz_methods[method], r->id,
             r->exec_id, r->decoded ? "" : " (undecodable)",
             (rec->op & SC_FUZZ_PIPELINED) ? " (pipelined)" : "");
  if (!is_method (r, "Wait"))
    T.inflight++;
  sc_call_opts opts = { .timeout_ms = 0, .ns = "fuzz" };
  size_t idx = T.nreqs++;
  sc_ttrpc_call_async (T.client, (rec->op & SC_FUZZ_V3) ? SC_TASK_V3_SERVICE : SC_TASK_V2_SERVICE,
                       sc_fuzz_methods[method], rec->payload, rec->len, &opts, on_reply,
                       (void *) (uintptr_t) idx);
  if (rec->op & SC_FUZZ_PIPELINED)
    return;
  settle ();
  if (expect == -1 || !r->replied)
    return;
  if (expect == -2)
    CHECK (r->code == SC_NOT_FOUND || r->code == SC_INVALID_ARGUMENT); /* I3 */
  else
    CHECK (r->code == expect); /* I4 */
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  sc_error err = SC_ERROR_INIT;
  if (sc_loop_new (&T.loop, &err) < 0)
    abort ();
  T.server = sc_ttrpc_server_new (T.loop);
  T.svc = task_service_new (T.loop, &fake_host, "fuzz");
  task_service_register (T.svc, T.server);
  shim_logging.fd = getenv ("SHIMCHECK_FUZZ_LOG") ? 2 : -1;
  T.trace = getenv ("SHIMCHECK_FUZZ_TRACE") != NULL;
  fake_host_init (T.loop);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (T.loop == NULL)
    LLVMFuzzerInitialize (NULL, NULL);
  /* one connection for every input (as containerd keeps one per shim) */
  if (T.client == NULL)
    {
      int sv[2];
      sc_error err = SC_ERROR_INIT;
      CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
      CHECK (sc_ttrpc_server_add_connection (T.server, sv[0], &err) == 0);
      T.client = sc_ttrpc_client_new (T.loop, sv[1], &err);
      CHECK (T.client != NULL);
    }
  T.nreqs = T.nids = T.inflight = 0;
  T.closing = false;

  size_t off = 0;
  sc_fuzz_record rec;
  while (T.nreqs < MAX_RECORDS && !fake_host_shutdown_requested ()
         && sc_fuzz_record_next (data, size, &off, &rec))
    {
      int m = sc_fuzz_record_method (&rec);
      if (m >= 0)
        send_request (&rec, m);
      else if ((rec.op & 0x1f) == SC_FUZZ_OP_EXIT)
        {
          if (T.trace)
            fprintf (stderr, "-- a process exits\n");
          fake_host_exit_one (rec.len > 0 ? rec.payload[0] : 0, rec.len > 1 ? rec.payload[1] : 0);
          if (!(rec.op & SC_FUZZ_PIPELINED))
            settle ();
        }
      else
        settle ();
    }
  settle ();

  /* I1, I8 */
  CHECK (sc_ttrpc_client_stray_frames (T.client) == 0);
  for (size_t i = 0; i < T.nreqs; i++)
    {
      req *r = &T.reqs[i];
      if (!is_method (r, "Wait"))
        CHECK (r->replied);
      else if (!r->replied && r->decoded)
        CHECK (fake_host_published_exit (r->id, r->exec_id[0] ? r->exec_id : r->id,
                                         r->exits_at_send)
               < 0);
    }
  CHECK (jobs_idle (T.svc));

  /* teardown: the shim forgets its tasks (pending Waits are answered
   * NotFound), the fake host forgets everything; nothing may stay pending */
  T.closing = true;
  task_service_forget_all (T.svc);
  settle ();
  CHECK (sc_ttrpc_client_pending (T.client) == 0);
  CHECK (sc_ttrpc_server_connections (T.server) == 1);
  CHECK (sc_ttrpc_server_calls_pending (T.server) == 0);
  fake_host_reset ();
  return 0;
}

#ifdef SHIMCHECK_FUZZ_ENGINE
/* libFuzzer's custom mutator: keeps the record framing valid and, half the
 * time, the payload a decodable request of its method (harness/fuzz/mutate.c),
 * so mutations reach the handlers instead of the unmarshal error. */
#include "mutate.h"
#include "services.h"

size_t LLVMFuzzerMutate (uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size, unsigned int seed);

static const char *const pool_ids[] = { "a", "b", "c", "", "../x", NULL };
static const char *const pool_exec[] = { "e1", "e2", "", "a", NULL };
static const char *const pool_bundle[] = { "/fuzz/b", "/fuzz/hostpid", "/fuzz/nospec", "rel", NULL };
static const char *const pool_io[] = { "", "/fuzz/in", "/fuzz/out", "binary:///x", NULL };
static const sc_mut_pool pools[] = {
  { "id", pool_ids },       { "exec_id", pool_exec }, { "bundle", pool_bundle },
  { "stdin", pool_io },     { "stdout", pool_io },    { "stderr", pool_io },
  { NULL, NULL },
};

size_t
LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
  sc_rng r;
  sc_rng_seed (&r, seed);
  sc_fuzz_record recs[MAX_RECORDS];
  size_t n = 0, off = 0;
  while (n < MAX_RECORDS && sc_fuzz_record_next (data, size, &off, &recs[n]))
    n++;
  if (n == 0 || sc_rng_below (&r, 8) == 0)
    return LLVMFuzzerMutate (data, size, max_size);
  uint8_t *out = malloc (max_size);
  CHECK (out != NULL);
  size_t pick = sc_rng_below (&r, (uint32_t) n), len = 0;
  /* 0-4 a field, 5-6 payload bytes, 7 the op, 8 duplicate, 9 drop */
  uint32_t action = sc_rng_below (&r, 10);
  for (size_t i = 0; i < n; i++)
    {
      sc_fuzz_record *rec = &recs[i];
      size_t next = len;
      if (i == pick && action == 9 && n > 1)
        continue; /* dropped */
      if (i != pick || action == 9)
        next = sc_fuzz_record_put (out, len, max_size, rec->op, rec->payload, rec->len);
      else if (action < 5)
        {
          /* a field of the request, by reflection */
          int m = sc_fuzz_record_method (rec);
          const ProtobufCMethodDescriptor *md = m >= 0 ? sc_task_method (sc_fuzz_methods[m]) : NULL;
          size_t plen = 0;
          uint8_t *p = md ? sc_mut_message (&r, md->input, rec->payload, rec->len, pools, &plen) : NULL;
          next = p ? sc_fuzz_record_put (out, len, max_size, rec->op, p, plen)
                   : sc_fuzz_record_put (out, len, max_size, rec->op, rec->payload, rec->len);
          free (p);
        }
      else if (action < 7)
        {
          /* the payload's bytes, by libFuzzer */
          size_t cap = max_size > len + 3 ? max_size - len - 3 : 0;
          if (cap > 0xffff)
            cap = 0xffff;
          /* cap 0 is no room: LLVMFuzzerMutate then still writes and returns
           * one byte (its fallback), past the end of out (found by the long
           * run: a 2049-byte input from a 2048-byte buffer); cap > 0 also
           * means the record header fits (len + 3 < max_size) */
          if (cap > 0 && cap >= rec->len)
            {
              memcpy (out + len + 3, rec->payload, rec->len);
              size_t plen = LLVMFuzzerMutate (out + len + 3, rec->len, cap);
              CHECK (plen <= cap);
              out[len] = rec->op;
              out[len + 1] = (uint8_t) (plen >> 8);
              out[len + 2] = (uint8_t) plen;
              next = len + 3 + plen;
            }
        }
      else if (action == 7)
        {
          /* another method or flags, same payload */
          uint8_t op = (uint8_t) sc_rng_next (&r) & 0x7f;
          next = sc_fuzz_record_put (out, len, max_size, op, rec->payload, rec->len);
        }
      else
        {
          /* the record twice */
          next = sc_fuzz_record_put (out, len, max_size, rec->op, rec->payload, rec->len);
          if (next)
            {
              size_t again = sc_fuzz_record_put (out, next, max_size, rec->op, rec->payload, rec->len);
              next = again ? again : next;
            }
        }
      if (next == 0)
        break; /* full: the rest is dropped */
      len = next;
    }
  memcpy (data, out, len);
  free (out);
  return len;
}
#endif
