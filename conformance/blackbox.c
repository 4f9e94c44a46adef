/* shimcheck fuzz: a black-box fuzzer for any shim binary.  It launches the
 * shim as containerd does (private environment, real bundles with a busybox
 * rootfs), then sends batches of mutated task requests (records.h: seeds
 * built in, plus --corpus files such as corpora/task_dispatch) over its
 * socket, and raw byte streams on fresh connections.  After every batch:
 * is the daemon alive, does Connect answer within its deadline; every few
 * batches, once every task is removed: are its fd count and its children
 * back to the baseline.  A finding (crash, hang, leak) stops the run and is
 * saved as a replayable reproducer: every record sent to that daemon, in
 * order (`shimcheck fuzz --shim PATH --replay FILE`).
 * Bundle paths under /fuzz/ become the real bundle of the request's id,
 * stdio paths under /fuzz/ become "", so corpora of the task_dispatch target
 * drive real tasks. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "env.h"
#include "launcher.h"
#include "mutate.h"
#include "oci_spec.h"
#include "pb.h"
#include "records.h"
#include "services.h"

#define NIDS 3
#define MAX_SEEDS 4096

static const char *const ids[NIDS + 1] = { "fz1", "fz2", "fz3", NULL };
static const char *const pool_ids[] = { "fz1", "fz2", "fz3", "fz1", "", "nope", "../x", NULL };
static const char *const pool_exec[] = { "x1", "x2", "", "fz1", NULL };
static const char *const pool_bundle[] = { "/fuzz/b", "/fuzz/b", "/fuzz/b", "relative", "/nonexistent", NULL };
static const char *const pool_io[] = { "", "", "", "/nonexistent/fifo", "binary:///nonexistent", NULL };
static const sc_mut_pool pools[] = {
  { "id", pool_ids },   { "exec_id", pool_exec }, { "bundle", pool_bundle },
  { "stdin", pool_io }, { "stdout", pool_io },    { "stderr", pool_io },
  { NULL, NULL },
};

typedef struct buf
{
  uint8_t *p;
  size_t len, cap;
} buf;

static void
buf_put (buf *b, uint8_t op, const uint8_t *payload, size_t len)
{
  if (len > 0xffff)
    len = 0xffff;
  if (b->len + 3 + len > b->cap)
    {
      b->cap = (b->len + 3 + len) * 2;
      b->p = sc_xrealloc (b->p, b->cap);
    }
  b->len = sc_fuzz_record_put (b->p, b->len, b->cap, op, payload, len);
}

typedef struct fz
{
  const char *shim_path;
  const char *outdir;  /* reproducers, and every shim address launched (addresses) */
  double scale;
  bool debug;
  const sc_profile *profile; /* the containerd to act as */
  sc_env env;
  char *bundles[NIDS];
  sc_shim *shim;
  pid_t pid;
  int baseline_fds;
  buf sent;              /* every record sent to this daemon */
  bool shutdown_sent;
  bool hung;             /* a request other than Wait went unanswered */
  /* figures */
  /* every task and exec the shim accepted, to remove them all before a leak check */
  char **tasks;      /* "id" or "id\nexec_id" */
  size_t ntasks;
  uint64_t requests, raw, batches, launches;
  uint64_t sent_by[SC_FUZZ_NMETHODS], ok_by[SC_FUZZ_NMETHODS];
  char finding[1024];
  /* seeds */
  buf seeds;
  size_t nseeds;
  sc_fuzz_record seed[MAX_SEEDS];
} fz;

/* ------------------------------------------------------------------ seeds */

static void
seed_msg (buf *b, const char *method, const ProtobufCMessage *m)
{
  size_t len;
  uint8_t *p = sc_pb_pack (m, &len);
  int idx = 0;
  while (idx < SC_FUZZ_NMETHODS && strcmp (sc_fuzz_methods[idx], method) != 0)
    idx++;
  buf_put (b, (uint8_t) idx, p, len);
  free (p);
}

/* an Any holding JSON text (OCI objects travel so) */
static void
json_any (Google__Protobuf__Any *a, const char *type_url, const char *json)
{
  google__protobuf__any__init (a);
  a->type_url = (char *) type_url;
  a->value.data = (uint8_t *) json;
  a->value.len = strlen (json);
}

/* one request per method, for the first id: the structure to mutate from */
static void
builtin_seeds (buf *b)
{
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) "fz1";
  cr.bundle = (char *) "/fuzz/b";
  seed_msg (b, "Create", &cr.base);
  Containerd__Task__V2__StartRequest st = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  st.id = (char *) "fz1";
  seed_msg (b, "Start", &st.base);
  st.exec_id = (char *) "x1";
  seed_msg (b, "Start", &st.base);
  static const char process[] = "{\"args\":[\"sleep\",\"5\"],\"cwd\":\"/\",\"env\":[\"PATH=/bin\"]}";
  Google__Protobuf__Any spec;
  json_any (&spec, "types.containerd.io/opencontainers/runtime-spec/1/Process", process);
  Containerd__Task__V2__ExecProcessRequest ex = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
  ex.id = (char *) "fz1";
  ex.exec_id = (char *) "x1";
  ex.spec = &spec;
  seed_msg (b, "Exec", &ex.base);
  Containerd__Task__V2__KillRequest k = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
  k.id = (char *) "fz1";
  k.signal = 9;
  seed_msg (b, "Kill", &k.base);
  Containerd__Task__V2__DeleteRequest d = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  d.id = (char *) "fz1";
  seed_msg (b, "Delete", &d.base);
  Containerd__Task__V2__WaitRequest w = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  w.id = (char *) "fz1";
  seed_msg (b, "State", &w.base); /* same shape: id, exec_id */
  seed_msg (b, "Pids", &w.base);
  seed_msg (b, "Pause", &w.base);
  seed_msg (b, "Resume", &w.base);
  seed_msg (b, "Stats", &w.base);
  seed_msg (b, "Connect", &w.base);
  Containerd__Task__V2__ResizePtyRequest rp = CONTAINERD__TASK__V2__RESIZE_PTY_REQUEST__INIT;
  rp.id = (char *) "fz1";
  rp.width = 80;
  rp.height = 24;
  seed_msg (b, "ResizePty", &rp.base);
  Containerd__Task__V2__CloseIORequest ci = CONTAINERD__TASK__V2__CLOSE_IOREQUEST__INIT;
  ci.id = (char *) "fz1";
  ci.stdin = true;
  seed_msg (b, "CloseIO", &ci.base);
  static const char res[] = "{\"pids\":{\"limit\":100}}";
  Google__Protobuf__Any ra;
  json_any (&ra, "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources", res);
  Containerd__Task__V2__UpdateTaskRequest up = CONTAINERD__TASK__V2__UPDATE_TASK_REQUEST__INIT;
  up.id = (char *) "fz1";
  up.resources = &ra;
  seed_msg (b, "Update", &up.base);
  Containerd__Task__V2__ShutdownRequest sh = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
  sh.id = (char *) "fz1";
  seed_msg (b, "Shutdown", &sh.base);
  /* a raw ttrpc frame: header claiming 4 MiB + 1, then a short body */
  static const uint8_t raw[] = { 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x0a };
  buf_put (b, SC_FUZZ_OP_RAW, raw, sizeof (raw));
}

static int
load_corpus (buf *b, const char *dir)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    return -1;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      char *p = sc_xasprintf ("%s/%s", dir, de->d_name);
      FILE *f = fopen (p, "rb");
      free (p);
      if (f == NULL)
        continue;
      uint8_t data[65536];
      size_t n = fread (data, 1, sizeof (data), f);
      fclose (f);
      size_t off = 0;
      sc_fuzz_record r;
      while (sc_fuzz_record_next (data, n, &off, &r))
        buf_put (b, r.op, r.payload, r.len);
    }
  closedir (d);
  return 0;
}

static void
index_seeds (fz *z)
{
  size_t off = 0;
  z->nseeds = 0;
  while (z->nseeds < MAX_SEEDS && sc_fuzz_record_next (z->seeds.p, z->seeds.len, &off, &z->seed[z->nseeds]))
    z->nseeds++;
}

/* ------------------------------------------------------------------ shim */

static int
launch (fz *z, sc_error *err)
{
  sc_launch_opts lo = {
    .shim = z->shim_path,
    .ns = z->env.ns,
    .profile = z->profile,
    .id = ids[0],
    .bundle = z->bundles[0],
    .grpc_address = z->env.grpc_address,
    .ttrpc_address = z->env.ttrpc_address,
    .debug = z->debug,
    .own_dir = z->env.dir,
    .start_timeout_ms = (int64_t) (5000 * z->scale),
    .connect_timeout_ms = (int64_t) (5000 * z->scale),
    .delete_timeout_ms = (int64_t) (10000 * z->scale),
  };
  z->launches++;
  z->sent.len = 0;
  z->hung = false;
  z->shutdown_sent = false;
  int started = sc_shim_start (z->env.loop, &lo, &z->shim, err);
  if (z->shim && z->shim->addr.name && !z->shim->addr.abstract && z->outdir)
    {
      /* what a test may check for leftovers: only the sockets we caused */
      char *p = sc_xasprintf ("%s/addresses", z->outdir);
      FILE *f = fopen (p, "a");
      if (f)
        {
          fprintf (f, "%s\n", z->shim->addr.name);
          fclose (f);
        }
      free (p);
    }
  if (started < 0 || sc_shim_connect (z->shim, err) < 0)
    return -1;
  z->shim->task.timeout_ms = (int64_t) (5000 * z->scale);
  Containerd__Task__V2__ConnectRequest req = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  req.id = (char *) ids[0];
  Containerd__Task__V2__ConnectResponse *resp = NULL;
  sc_rpc_result res = { 0 };
  sc_task_call (&z->shim->task, "Connect", &req.base, (ProtobufCMessage **) &resp, &res);
  if (res.code != SC_OK || resp == NULL || resp->shim_pid == 0)
    {
      sc_error_make (err, EPROTO, "Connect after start: %s", res.message ? res.message : "no pid");
      sc_rpc_result_release (&res);
      if (resp)
        protobuf_c_message_free_unpacked (&resp->base, NULL);
      return -1;
    }
  /* fds are counted on the process the kernel shows serving the socket,
   * not on whatever pid the shim names */
  sc_shim_track (z->shim, (pid_t) resp->shim_pid);
  z->pid = z->shim->daemon_pid;
  if (z->pid <= 0)
    {
      sc_error_make (err, EPROTO, "no process of ours serves the address the shim printed");
      sc_rpc_result_release (&res);
      protobuf_c_message_free_unpacked (&resp->base, NULL);
      return -1;
    }
  protobuf_c_message_free_unpacked (&resp->base, NULL);
  sc_rpc_result_release (&res);
  z->baseline_fds = sc_pid_count_fds (z->pid);
  return 0;
}

static void
drop_shim (fz *z)
{
  if (z->shim)
    {
      sc_shim_kill (z->shim); /* removes the socket it leaves */
      sc_shim_free (z->shim);
    }
  z->shim = NULL;
  z->pid = 0;
  sc_env_cleanup_runtime_state (z->env.ns, z->env.runtime);
}

/* the bundle and stdio paths of a request made real for this run */
static uint8_t *
localize (fz *z, const ProtobufCMethodDescriptor *md, const uint8_t *p, size_t len, size_t *out_len)
{
  uint8_t *cur = NULL;
  size_t cur_len = len;
  const uint8_t *data = p;
  char *bundle = sc_mut_get_string (md->input, p, len, "bundle");
  if (bundle && strncmp (bundle, "/fuzz/", 6) == 0)
    {
      char *id = sc_mut_get_string (md->input, p, len, "id");
      const char *real = z->bundles[0];
      for (int i = 0; i < NIDS; i++)
        if (id && strcmp (id, ids[i]) == 0)
          real = z->bundles[i];
      free (id);
      cur = sc_mut_set_string (md->input, data, cur_len, "bundle", real, &cur_len);
      data = cur;
    }
  free (bundle);
  static const char *const io[] = { "stdin", "stdout", "stderr" };
  for (int i = 0; i < 3 && data; i++)
    {
      char *v = sc_mut_get_string (md->input, data, cur_len, io[i]);
      if (v && strstr (v, "/fuzz/"))
        {
          uint8_t *next = sc_mut_set_string (md->input, data, cur_len, io[i], "", &cur_len);
          free (cur);
          cur = next;
          data = cur;
        }
      free (v);
    }
  if (cur == NULL)
    {
      cur = sc_xmalloc (len ? len : 1);
      memcpy (cur, p, len);
      cur_len = len;
    }
  *out_len = cur_len;
  return cur;
}

static void
send_raw (fz *z, const uint8_t *p, size_t len)
{
  int fd = sc_unix_connect (z->shim->addr.name);
  if (fd >= 0)
    {
      ssize_t w = write (fd, p, len);
      (void) w;
      struct timeval tv = { 0, 100000 };
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
      uint8_t junk[4096];
      while (read (fd, junk, sizeof (junk)) > 0)
        ;
      close (fd);
    }
  z->raw++;
}

static bool
finding (fz *z, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* sends one record as it stands; returns the result code (or -1 for raw);
 * the reply's message in *msg if msg is set */
static int
send_record (fz *z, const sc_fuzz_record *r, char **msg)
{
  buf_put (&z->sent, r->op, r->payload, r->len);
  if ((r->op & 0x1f) == SC_FUZZ_OP_RAW)
    {
      send_raw (z, r->payload, r->len);
      return -1;
    }
  int m = sc_fuzz_record_method (r);
  if (m < 0)
    return -1; /* exit/settle pseudo-ops mean nothing to a real shim */
  const ProtobufCMethodDescriptor *md = sc_task_method (sc_fuzz_methods[m]);
  size_t len;
  uint8_t *p = localize (z, md, r->payload, r->len, &len);
  if (strcmp (sc_fuzz_methods[m], "Shutdown") == 0)
    z->shutdown_sent = true;
  sc_rpc_result res = { 0 };
  sc_call_opts opts = { .timeout_ms = strcmp (sc_fuzz_methods[m], "Wait") == 0
                                        ? (int64_t) (200 * z->scale)
                                        : (int64_t) (5000 * z->scale) };
  sc_ttrpc_call_sync (z->shim->rpc, (r->op & SC_FUZZ_V3) ? SC_TASK_V3_SERVICE : SC_TASK_V2_SERVICE,
                      sc_fuzz_methods[m], p, len, &opts, &res);
  if (res.code == SC_OK && (strcmp (sc_fuzz_methods[m], "Create") == 0
                            || strcmp (sc_fuzz_methods[m], "Exec") == 0))
    {
      char *id = sc_mut_get_string (md->input, p, len, "id");
      char *eid = sc_mut_get_string (md->input, p, len, "exec_id");
      char *key = eid && *eid ? sc_xasprintf ("%s\n%s", id, eid) : sc_xstrdup (id ? id : "");
      bool known = false;
      for (size_t i = 0; i < z->ntasks && !known; i++)
        known = strcmp (z->tasks[i], key) == 0;
      if (!known && z->ntasks < 4096)
        {
          z->tasks = sc_xrealloc (z->tasks, (z->ntasks + 1) * sizeof (char *));
          z->tasks[z->ntasks++] = key;
        }
      else
        free (key);
      free (id);
      free (eid);
    }
  z->requests++;
  z->sent_by[m]++;
  z->ok_by[m] += res.code == SC_OK;
  free (p);
  if (res.local && res.code == SC_DEADLINE_EXCEEDED && strcmp (sc_fuzz_methods[m], "Wait") != 0)
    {
      z->hung = true;
      finding (z, "hang: %s not answered within %.1f s", sc_fuzz_methods[m], 5 * z->scale);
    }
  int code = res.code;
  if (msg)
    *msg = sc_xstrdup (res.message ? res.message : "");
  sc_rpc_result_release (&res);
  return code;
}

/* a new request: a seed, mutated by structure, by bytes, or not at all */
static void
generate (fz *z, sc_rng *r, buf *out)
{
  const sc_fuzz_record *s = &z->seed[sc_rng_below (r, (uint32_t) z->nseeds)];
  /* an accepted Shutdown costs a relaunch: one pick in eight stays one */
  for (int tries = 0; tries < 8 && sc_fuzz_record_method (s) == 15 && sc_rng_below (r, 8); tries++)
    s = &z->seed[sc_rng_below (r, (uint32_t) z->nseeds)];
  uint8_t op = s->op;
  uint32_t how = sc_rng_below (r, 10);
  int m = sc_fuzz_record_method (s);
  if (how < 5 && m >= 0)
    {
      size_t len;
      uint8_t *p = sc_mut_message (r, sc_task_method (sc_fuzz_methods[m])->input, s->payload, s->len,
                                   pools, &len);
      if (p)
        {
          buf_put (out, op, p, len);
          free (p);
          return;
        }
    }
  uint8_t tmp[4096];
  size_t len = s->len < sizeof (tmp) - 64 ? s->len : sizeof (tmp) - 64;
  memcpy (tmp, s->payload, len);
  if (how >= 5 && how < 8)
    len = sc_mut_bytes (r, tmp, len, sizeof (tmp));
  else if (how == 8)
    op = (uint8_t) sc_rng_below (r, SC_FUZZ_NMETHODS) | (op & SC_FUZZ_V3);
  buf_put (out, op, tmp, len);
}

/* ------------------------------------------------------------------ checks */

static bool
finding (fz *z, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (z->finding, sizeof (z->finding), fmt, ap);
  va_end (ap);
  return false;
}

/* alive and answering; a clean exit after Shutdown is not a finding */
static bool
alive (fz *z, bool *relaunch)
{
  int st = 0;
  pid_t w = waitpid (z->pid, &st, WNOHANG);
  if (w == z->pid || (w < 0 && !sc_pid_alive (z->pid)))
    {
      if (z->shutdown_sent && w == z->pid && WIFEXITED (st) && WEXITSTATUS (st) == 0)
        {
          *relaunch = true;
          return true;
        }
      return finding (z, "crash: the shim daemon (pid %d) is gone: %s", (int) z->pid,
                      w == z->pid ? sc_wait_status_str (st) : "not our child; status unknown");
    }
  Containerd__Task__V2__ConnectRequest req = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  req.id = (char *) ids[0];
  sc_rpc_result res = { 0 };
  sc_task_call_timeout (&z->shim->task, "Connect", &req.base, (int64_t) (2000 * z->scale), NULL, &res);
  bool ok = res.code == SC_OK;
  if (!ok && z->shutdown_sent && sc_pid_wait_gone (z->pid, (int64_t) (2000 * z->scale), &st) == 0)
    {
      *relaunch = true; /* exiting after Shutdown */
      sc_rpc_result_release (&res);
      return true;
    }
  if (!ok && res.code == SC_UNAVAILABLE
      && sc_pid_wait_gone (z->pid, (int64_t) (2000 * z->scale), &st) == 0)
    {
      /* the connection closed because the daemon is dying (a crash takes a
       * moment: a sanitizer report, a core dump) */
      finding (z, "crash: the shim daemon (pid %d) is gone: %s", (int) z->pid,
               st != -1 ? sc_wait_status_str (st) : "not our child; status unknown");
    }
  else if (!ok && res.code == SC_UNAVAILABLE)
    {
      /* our connection is gone: does the shim still serve a new one?  Either
       * way containerd, which keeps one connection per shim, has lost it. */
      sc_error err = SC_ERROR_INIT;
      sc_shim_disconnect (z->shim);
      sc_rpc_result again = { 0 };
      if (sc_shim_connect (z->shim, &err) == 0)
        sc_task_call_timeout (&z->shim->task, "Connect", &req.base, (int64_t) (2000 * z->scale),
                              NULL, &again);
      finding (z,
               "dropped connection: the shim closed its ttrpc connection after the last request "
               "(%s); a new connection %s",
               res.message ? res.message : "", again.code == SC_OK ? "is served" : "fails too");
      sc_rpc_result_release (&again);
      sc_error_release (&err);
    }
  else if (!ok)
    finding (z, "hang: Connect not answered within %.1f s (%s: %s)", 2 * z->scale,
             sc_code_name (res.code), res.message ? res.message : "");
  sc_rpc_result_release (&res);
  return ok;
}

/* removes every task (as containerd would), then fds and children must be
 * back where they started */
static bool
no_leaks (fz *z)
{
  /* execs first, then each task: kill everything, delete */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < z->ntasks; i++)
      {
        char *id = sc_xstrdup (z->tasks[i]);
        char *nl = strchr (id, '\n');
        const char *eid = nl ? nl + 1 : "";
        if (nl)
          *nl = '\0';
        if ((pass == 0) != (nl != NULL))
          {
            free (id);
            continue;
          }
        Containerd__Task__V2__KillRequest k = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
        k.id = id;
        k.exec_id = (char *) eid;
        k.signal = 9;
        k.all = nl == NULL;
        sc_rpc_result res = { 0 };
        sc_task_call (&z->shim->task, "Kill", &k.base, NULL, &res);
        sc_rpc_result_release (&res);
        /* the process may need a moment to be reaped before Delete takes it */
        for (int tries = 0; tries < 20; tries++)
          {
            Containerd__Task__V2__DeleteRequest d = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
            d.id = id;
            d.exec_id = (char *) eid;
            sc_task_call (&z->shim->task, "Delete", &d.base, NULL, &res);
            int code = res.code;
            sc_rpc_result_release (&res);
            if (code == SC_OK || code == SC_NOT_FOUND)
              break;
            usleep (50000);
          }
        free (id);
      }
  for (size_t i = 0; i < z->ntasks; i++)
    free (z->tasks[i]);
  z->ntasks = 0;
  int fds = -1;
  size_t kids = 0;
  for (int tries = 0; tries < 20; tries++)
    {
      fds = sc_pid_count_fds (z->pid);
      pid_t *d = NULL;
      kids = sc_proc_descendants (z->pid, &d);
      free (d);
      if (fds <= z->baseline_fds + 2 && kids == 0)
        return true;
      usleep (100000);
    }
  return finding (z, "leak: with every task deleted the shim holds %d fds (%d after start) and %zu "
                  "child processes",
                  fds, z->baseline_fds, kids);
}

static void
save_reproducer (fz *z, const char *outdir, uint64_t seed, char **path)
{
  mkdir (outdir, 0755);
  *path = sc_xasprintf ("%s/finding-%llu.records", outdir, (unsigned long long) seed);
  FILE *f = fopen (*path, "wb");
  if (f)
    {
      fwrite (z->sent.p, 1, z->sent.len, f);
      fclose (f);
    }
  char *txt = sc_xasprintf ("%s/finding-%llu.txt", outdir, (unsigned long long) seed);
  f = fopen (txt, "w");
  if (f)
    {
      fprintf (f, "shim: %s\nseed: %llu\nfinding: %s\nreplay: shimcheck fuzz --shim %s --replay %s\n",
               z->shim_path, (unsigned long long) seed, z->finding, z->shim_path, *path);
      if (z->shim && z->shim->log_len)
        fprintf (f, "\nshim log (tail):\n%.*s\n", (int) (z->shim->log_len > 4096 ? 4096 : z->shim->log_len),
                 z->shim->log + (z->shim->log_len > 4096 ? z->shim->log_len - 4096 : 0));
      fclose (f);
    }
  free (txt);
}

/* ------------------------------------------------------------------ verb */

static void
fuzz_help (FILE *f)
{
  fprintf (f,
           "usage: shimcheck fuzz --shim PATH [--time S] [--seed N] [--corpus DIR]... [--out DIR]\n"
           "                      [--batch N] [--timeout-scale X] [--containerd V] [--debug]\n"
           "       shimcheck fuzz --shim PATH --replay FILE\n"
           "\n"
           "Black-box fuzzing of any shim: mutated task requests and raw frames over its socket,\n"
           "liveness after every batch, fd/children leak checks with every task removed.\n"
           "A finding (crash, hang, leak) is saved as OUT/finding-SEED.records (+ .txt) and\n"
           "replays with --replay.  Exit: 0 nothing found, 1 finding, 2 usage, 3 set-up.\n"
           "  --time S      how long to fuzz (default 60)\n"
           "  --seed N      the generator's seed (default: from the clock; printed)\n"
           "  --corpus DIR  more seed requests in record format (e.g. corpora/task_dispatch)\n"
           "  --out DIR     where reproducers go (default out/fuzz-blackbox)\n"
           "  --batch N     requests between liveness checks (default 16)\n"
           "  --containerd V  the containerd to act as when launching (1.6 ... 2.3; default 2.1)\n");
}

int
cmd_fuzz (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "shim", required_argument, NULL, 's' },  { "time", required_argument, NULL, 't' },
    { "seed", required_argument, NULL, 'S' },  { "corpus", required_argument, NULL, 'c' },
    { "out", required_argument, NULL, 'o' },   { "batch", required_argument, NULL, 'b' },
    { "replay", required_argument, NULL, 'r' }, { "timeout-scale", required_argument, NULL, 'x' },
    { "debug", no_argument, NULL, 'd' },       { "help", no_argument, NULL, 'h' },
    { "containerd", required_argument, NULL, 'C' },
    { NULL, 0, NULL, 0 },
  };
  static fz z;
  memset (&z, 0, sizeof (z));
  z.scale = 1.0;
  z.profile = sc_profile_default ();
  long seconds = 60, batch = 16;
  uint64_t seed = (uint64_t) time (NULL) ^ ((uint64_t) getpid () << 20);
  const char *outdir = "out/fuzz-blackbox", *replay = NULL;
  const char *corpora[16];
  int ncorpora = 0, c;
  optind = 1;
  while ((c = getopt_long (argc, argv, "h", longopts, NULL)) != -1)
    switch (c)
      {
      case 's':
        z.shim_path = optarg;
        break;
      case 't':
        seconds = strtol (optarg, NULL, 10);
        break;
      case 'S':
        seed = strtoull (optarg, NULL, 10);
        break;
      case 'c':
        if (ncorpora < 16)
          corpora[ncorpora++] = optarg;
        break;
      case 'o':
        outdir = optarg;
        break;
      case 'b':
        batch = strtol (optarg, NULL, 10);
        break;
      case 'r':
        replay = optarg;
        break;
      case 'x':
        z.scale = strtod (optarg, NULL);
        break;
      case 'd':
        z.debug = true;
        break;
      case 'C':
        if ((z.profile = sc_profile_find (optarg)) == NULL)
          {
            fprintf (stderr, "shimcheck fuzz: --containerd must be one of %s\n", sc_profile_names ());
            return SC_EXIT_USAGE;
          }
        break;
      case 'h':
        fuzz_help (stdout);
        return SC_EXIT_OK;
      default:
        fuzz_help (stderr);
        return SC_EXIT_USAGE;
      }
  const char *bad = z.shim_path == NULL                 ? "--shim PATH is required"
                    : optind != argc                    ? "unexpected argument"
                    : seconds < 1 || seconds > 604800   ? "--time must be 1..604800 seconds"
                    : batch < 1 || batch > 10000        ? "--batch must be 1..10000"
                    : z.scale <= 0 || z.scale > 100     ? "--timeout-scale must be in (0, 100]"
                    : access (z.shim_path, X_OK) < 0    ? "--shim is not an executable file"
                                                        : NULL;
  if (bad)
    {
      fprintf (stderr, "shimcheck fuzz: %s\n", bad);
      fuzz_help (stderr);
      return SC_EXIT_USAGE;
    }
  buf rep = { 0 };
  if (replay)
    {
      FILE *f = fopen (replay, "rb");
      if (f == NULL)
        {
          fprintf (stderr, "shimcheck fuzz: --replay %s: %s\n", replay, strerror (errno));
          return SC_EXIT_USAGE;
        }
      uint8_t tmp[65536];
      size_t n;
      while ((n = fread (tmp, 1, sizeof (tmp), f)) > 0)
        {
          rep.p = sc_xrealloc (rep.p, rep.len + n);
          memcpy (rep.p + rep.len, tmp, n);
          rep.len += n;
        }
      fclose (f);
    }
  else
    {
      builtin_seeds (&z.seeds);
      for (int i = 0; i < ncorpora; i++)
        if (load_corpus (&z.seeds, corpora[i]) < 0)
          {
            fprintf (stderr, "shimcheck fuzz: --corpus %s: %s\n", corpora[i], strerror (errno));
            return SC_EXIT_USAGE;
          }
      index_seeds (&z);
    }

  cleanup_error sc_error err = SC_ERROR_INIT;
  z.outdir = outdir;
  mkdir (outdir, 0755);
  if (sc_become_subreaper (&err) < 0 || sc_env_setup (&z.env, "shimcheck-fuzz", &err) < 0)
    {
      fprintf (stderr, "shimcheck fuzz: set-up: %s\n", err.msg);
      return SC_EXIT_ENV;
    }
  /* one read-only busybox root for every bundle, as the runner does */
  char *rootfs = sc_xasprintf ("%s/rootfs", z.env.dir);
  if (sc_rootfs_busybox (rootfs, SC_BUSYBOX_DEFAULT, &err) < 0)
    {
      fprintf (stderr, "shimcheck fuzz: rootfs: %s\n", err.msg);
      free (rootfs);
      sc_env_teardown (&z.env, NULL);
      return SC_EXIT_ENV;
    }
  static const char *const args[] = { "sleep", "30", NULL };
  json_t *spec = sc_oci_default_spec (args, false);
  json_object_set_new (spec, "root", json_pack ("{s:s, s:b}", "path", rootfs, "readonly", true));
  free (rootfs);
  for (int i = 0; i < NIDS; i++)
    if (sc_bundle_create (z.env.state, z.env.ns, ids[i], spec, &z.bundles[i], &err) < 0)
      {
        json_decref (spec);
        fprintf (stderr, "shimcheck fuzz: bundle: %s\n", err.msg);
        sc_env_teardown (&z.env, NULL);
        return SC_EXIT_ENV;
      }
  json_decref (spec);
  int rc = SC_EXIT_OK;
  if (launch (&z, &err) < 0)
    {
      fprintf (stderr, "shimcheck fuzz: cannot launch %s: %s\n", z.shim_path, err.msg);
      rc = SC_EXIT_ENV;
      goto out;
    }
  int64_t t0 = sc_now_mono_ns ();
  bool relaunch = false;
  if (replay)
    {
      printf ("shimcheck fuzz: replaying %s against %s\n", replay, z.shim_path);
      size_t off = 0, i = 0;
      sc_fuzz_record r;
      bool ok = true;
      while (ok && sc_fuzz_record_next (rep.p, rep.len, &off, &r))
        {
          char *msg = NULL;
          int code = send_record (&z, &r, &msg);
          int m = sc_fuzz_record_method (&r);
          printf ("  #%zu %s -> %s %s\n", i++, m >= 0 ? sc_fuzz_methods[m] : "raw/pseudo",
                  code >= 0 ? sc_code_name (code) : "-", msg ? msg : "");
          free (msg);
          ok = !z.hung && alive (&z, &relaunch);
          if (ok && relaunch)
            {
              drop_shim (&z);
              relaunch = false;
              if (launch (&z, &err) < 0)
                ok = finding (&z, "relaunch after Shutdown failed: %s", err.msg);
            }
        }
      if (ok)
        ok = no_leaks (&z);
      printf ("%s\n", ok ? "shimcheck fuzz: the finding does not reproduce"
                         : z.finding);
      rc = ok ? SC_EXIT_OK : SC_EXIT_FAILED;
      goto out;
    }

  printf ("shimcheck fuzz: %s for %ld s, seed %llu, %zu seed requests\n", z.shim_path, seconds,
          (unsigned long long) seed, z.nseeds);
  fflush (stdout);
  sc_rng rng;
  sc_rng_seed (&rng, seed);
  int64_t deadline = t0 + (int64_t) seconds * 1000000000;
  bool ok = true;
  buf gen = { 0 };
  while (ok && sc_now_mono_ns () < deadline)
    {
      for (long i = 0; i < batch && ok; i++)
        {
          gen.len = 0;
          generate (&z, &rng, &gen);
          size_t off = 0;
          sc_fuzz_record r;
          if (sc_fuzz_record_next (gen.p, gen.len, &off, &r))
            send_record (&z, &r, NULL);
          ok = !z.hung;
        }
      if (!ok)
        break;
      z.batches++;
      ok = alive (&z, &relaunch);
      if (ok && relaunch)
        {
          drop_shim (&z);
          relaunch = false;
          if (launch (&z, &err) < 0)
            ok = finding (&z, "relaunch after Shutdown failed: %s", err.msg);
          continue;
        }
      if (ok && z.batches % 8 == 0)
        ok = no_leaks (&z);
    }
  free (gen.p);
  double secs = (double) (sc_now_mono_ns () - t0) / 1e9;
  printf ("shimcheck fuzz: %llu requests + %llu raw streams in %.1f s (%.1f requests/s), %llu "
          "batches, %llu launches\n",
          (unsigned long long) z.requests, (unsigned long long) z.raw, secs,
          (double) (z.requests + z.raw) / (secs > 0 ? secs : 1), (unsigned long long) z.batches,
          (unsigned long long) z.launches);
  printf ("  answered OK / sent:");
  for (int m = 0; m < SC_FUZZ_NMETHODS; m++)
    if (z.sent_by[m])
      printf (" %s %llu/%llu", sc_fuzz_methods[m], (unsigned long long) z.ok_by[m],
              (unsigned long long) z.sent_by[m]);
  printf ("\n");
  if (!ok)
    {
      char *path = NULL;
      save_reproducer (&z, outdir, seed, &path);
      printf ("FINDING: %s\nreproducer: %s (shimcheck fuzz --shim %s --replay %s)\n", z.finding,
              path, z.shim_path, path);
      free (path);
      rc = SC_EXIT_FAILED;
    }
  else
    printf ("shimcheck fuzz: nothing found\n");
out:
  if (z.shim && z.pid && sc_pid_alive (z.pid))
    {
      no_leaks (&z); /* removes the tasks */
      sc_shim_shutdown (z.shim, 3000);
    }
  drop_shim (&z);
  for (int i = 0; i < NIDS; i++)
    free (z.bundles[i]);
  sc_env_teardown (&z.env, NULL);
  free (z.sent.p);
  free (z.seeds.p);
  free (z.tasks);
  free (rep.p);
  return rc;
}
