/* The fake host: an in-memory runc for the task_dispatch target (see
 * fake_host.h).  Bundles are the paths under /fuzz/ (a name with "hostpid"
 * has no pid namespace of its own, one with "nospec" has no config.json);
 * runtime binaries "runc", "crun" and "fake" exist. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "containerd/events/task.pb-c.h"
#include "fake_host.h"
#include "log.h"
#include "rtout.h"
#include "oci_spec.h"
#include "pb.h"

#define MAX_CTR 16
#define MAX_PROC 64
#define MAX_FILES 64
#define MAX_EXITS 128
#define ID_MAX 128

typedef enum
{
  F_CREATED,
  F_RUNNING,
  F_PAUSED,
  F_STOPPED
} fstate;

typedef struct fctr
{
  bool used;
  char id[ID_MAX];
  fstate state;
  pid_t init;
  bool host_pidns;
} fctr;

typedef struct fproc
{
  bool used;
  pid_t pid;
  char cid[ID_MAX];
  bool alive;
  int status; /* raw wait status once dead */
} fproc;

typedef struct ffile
{
  char *path;
  char *text;
} ffile;

typedef enum
{
  Q_RT,
  Q_EXIT,
  Q_DRAIN,
  Q_READY
} qkind;

typedef struct qitem
{
  struct qitem *next;
  qkind kind;
  rt_cb cb;
  void (*drain_cb) (void *);
  void (*ready_cb) (void *, const char *);
  bool not_ready;
  void *data;
  rt_result res;
  pid_t pid;
} qitem;

/* an exit the shim published */
typedef struct pub_exit
{
  char cid[ID_MAX];
  char id[ID_MAX];
  pid_t pid;
  uint32_t status;
} pub_exit;

static struct
{
  sc_loop *loop;
  sc_timer timer;
  qitem *head, *tail;
  fctr ctr[MAX_CTR];
  fproc proc[MAX_PROC];
  ffile files[MAX_FILES];
  pid_t next_pid;
  struct
  {
    pid_t pid;
    int status;
  } early[MAX_PROC];
  size_t nearly;
  /* exits the shim watches (host.h watch_exit) */
  struct
  {
    pid_t pid;
    exit_cb cb;
    void *data;
  } watches[MAX_PROC];
  size_t nwatches;
  pub_exit exits[MAX_EXITS];
  size_t nexits;
  /* pids whose start/exec-started was published */
  pid_t started[MAX_PROC];
  size_t nstarted;
  bool shutdown;
  /* every other Stats is answered as on a cgroup v2 host */
  unsigned stats_n;
} F;

static const char console_path[] = "/fuzz/console.sock";

/* ------------------------------------------------------------------ queue */

static void run_queue (sc_timer *t);

static void
enqueue (qitem *q)
{
  q->next = NULL;
  if (F.tail)
    F.tail->next = q;
  else
    F.head = q;
  F.tail = q;
  if (!F.timer.active)
    sc_timer_start (F.loop, &F.timer, 0, run_queue, NULL);
}

static fproc *
proc_by_pid (pid_t pid)
{
  for (size_t i = 0; i < MAX_PROC; i++)
    if (F.proc[i].used && F.proc[i].pid == pid)
      return &F.proc[i];
  return NULL;
}

static void
deliver_exit (pid_t pid)
{
  fproc *fp = proc_by_pid (pid);
  CHECK (fp != NULL && !fp->alive);
  for (size_t i = 0; i < F.nwatches; i++)
    if (F.watches[i].pid == pid)
      {
        exit_cb cb = F.watches[i].cb;
        void *data = F.watches[i].data;
        F.watches[i] = F.watches[--F.nwatches];
        cb (pid, fp->status, sc_now_wall_ns (), data);
        return;
      }
  if (F.nearly < MAX_PROC)
    {
      F.early[F.nearly].pid = pid;
      F.early[F.nearly].status = fp->status;
      F.nearly++;
    }
}

static void
run_queue (sc_timer *t)
{
  /* only what is queued now: completions queued meanwhile run next turn */
  qitem *q = F.head;
  F.head = F.tail = NULL;
  while (q)
    {
      qitem *next = q->next;
      switch (q->kind)
        {
        case Q_RT:
          q->cb (&q->res, q->data);
          free (q->res.out);
          free (q->res.err);
          break;
        case Q_EXIT:
          deliver_exit (q->pid);
          break;
        case Q_DRAIN:
          q->drain_cb (q->data);
          break;
        case Q_READY:
          q->ready_cb (q->data, q->not_ready ? "fake logger: no readiness byte" : NULL);
          break;
        }
      free (q);
      q = next;
    }
}

bool
fake_host_busy (void)
{
  return F.head != NULL;
}

/* ------------------------------------------------------------------ model */

static fctr *
ctr_find (const char *id)
{
  for (size_t i = 0; i < MAX_CTR; i++)
    if (F.ctr[i].used && strcmp (F.ctr[i].id, id) == 0)
      return &F.ctr[i];
  return NULL;
}

static fproc *
proc_new (const char *cid)
{
  for (size_t i = 0; i < MAX_PROC; i++)
    if (!F.proc[i].used)
      {
        fproc *p = &F.proc[i];
        memset (p, 0, sizeof (*p));
        p->used = true;
        p->pid = F.next_pid++;
        snprintf (p->cid, sizeof (p->cid), "%s", cid);
        p->alive = true;
        return p;
      }
  return NULL;
}

static void kill_proc (fproc *p, int status);

/* the process dies now; the shim hears of it on a later loop turn */
static void
kill_proc (fproc *p, int status)
{
  if (!p->alive)
    return;
  p->alive = false;
  p->status = status;
  qitem *q = sc_xcalloc (1, sizeof (*q));
  q->kind = Q_EXIT;
  q->pid = p->pid;
  enqueue (q);
  fctr *c = ctr_find (p->cid);
  if (c && c->init == p->pid)
    {
      c->state = F_STOPPED;
      /* the kernel kills the rest of a private pid namespace */
      if (!c->host_pidns)
        for (size_t i = 0; i < MAX_PROC; i++)
          if (F.proc[i].used && F.proc[i].alive && strcmp (F.proc[i].cid, c->id) == 0)
            kill_proc (&F.proc[i], SIGKILL);
    }
}

static bool
fatal_signal (int sig)
{
  return sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT
         || sig == SIGUSR1;
}

static void
signal_ctr (fctr *c, int sig, bool all)
{
  for (size_t i = 0; i < MAX_PROC; i++)
    {
      fproc *p = &F.proc[i];
      if (!p->used || !p->alive || strcmp (p->cid, c->id) != 0)
        continue;
      if (p->pid != c->init && !all)
        continue;
      /* a frozen process only dies of SIGKILL */
      if (fatal_signal (sig) && (c->state != F_PAUSED || sig == SIGKILL))
        kill_proc (p, sig);
    }
}

void
fake_host_exit_one (uint8_t pick, uint8_t code)
{
  size_t live = 0;
  for (size_t i = 0; i < MAX_PROC; i++)
    live += F.proc[i].used && F.proc[i].alive;
  if (live == 0)
    return;
  size_t n = pick % live;
  for (size_t i = 0; i < MAX_PROC; i++)
    if (F.proc[i].used && F.proc[i].alive && n-- == 0)
      {
        int st = code >= 128 ? (code & 0x1f ? code & 0x1f : SIGKILL) : (code << 8);
        kill_proc (&F.proc[i], st);
        return;
      }
}

/* ------------------------------------------------------------------ files */

static ffile *
file_find (const char *path)
{
  for (size_t i = 0; i < MAX_FILES; i++)
    if (F.files[i].path && strcmp (F.files[i].path, path) == 0)
      return &F.files[i];
  return NULL;
}

static int
fake_write_file (shim_host *h, const char *path, const char *text, sc_error *err)
{
  if (strncmp (path, "/fuzz/", 6) != 0)
    {
      return sc_error_make (err, ENOENT, "write %s", path);
    }
  ffile *f = file_find (path);
  for (size_t i = 0; f == NULL && i < MAX_FILES; i++)
    if (F.files[i].path == NULL)
      {
        f = &F.files[i];
        f->path = sc_xstrdup (path);
      }
  if (f == NULL)
    {
      return sc_error_make (err, ENOSPC, "write %s", path);
    }
  free (f->text);
  f->text = sc_xstrdup (text);
  return 0;
}

static void
fake_remove_file (shim_host *h, const char *path)
{
  ffile *f = file_find (path);
  if (f)
    {
      free (f->path);
      free (f->text);
      f->path = f->text = NULL;
    }
}

static int
fake_read_pid (shim_host *h, const char *path, pid_t *pid, sc_error *err)
{
  ffile *f = file_find (path);
  if (f == NULL)
    return sc_error_make (err, ENOENT, "read pid file %s", path);
  long v = strtol (f->text, NULL, 10);
  if (v <= 0)
    return sc_error_make (err, 0, "pid file %s holds no pid", path);
  *pid = (pid_t) v;
  return 0;
}

static void
write_pid (const char *path, pid_t pid)
{
  char buf[16];
  snprintf (buf, sizeof (buf), "%d", (int) pid);
  sc_error err = SC_ERROR_INIT;
  if (path && fake_write_file (NULL, path, buf, &err) < 0)
    sc_error_release (&err);
}

static int
fake_stat_bundle (shim_host *h, const char *path, sc_error *err)
{
  return strncmp (path, "/fuzz/", 6) == 0 ? 0 : sc_error_make (err, ENOENT, "bundle %s", path);
}

static int
fake_read_spec (shim_host *h, const char *path, json_t **spec, sc_error *err)
{
  if (strncmp (path, "/fuzz/", 6) != 0 || strstr (path, "nospec"))
    return sc_error_make (err, ENOENT, "open %s: %s", path, strerror (ENOENT));
  /* parsed once (the OCI module has its own target); the shim only reads it */
  static json_t *cached[2];
  bool hostpid = strstr (path, "hostpid") != NULL;
  if (cached[hostpid] == NULL)
    {
      const char *ns = hostpid ? "[{\"type\":\"mount\"}]"
                               : "[{\"type\":\"pid\"},{\"type\":\"mount\"}]";
      char *text = sc_xasprintf ("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],"
                                 "\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},"
                                 "\"linux\":{\"namespaces\":%s}}",
                                 ns);
      int rc = sc_oci_parse (text, strlen (text), &cached[hostpid], err);
      free (text);
      if (rc < 0)
        return rc;
    }
  *spec = json_incref (cached[hostpid]);
  return 0;
}

static int
fake_find_runtime (shim_host *h, const char *name, char **path, sc_error *err)
{
  *path = NULL;
  if (strcmp (name, "runc") == 0 || strcmp (name, "crun") == 0 || strcmp (name, "fake") == 0)
    *path = sc_xasprintf ("/fuzz/bin/%s", name);
  return *path ? 0 : sc_error_make (err, ENOENT, "runtime binary \"%s\"", name);
}

static int
fake_mount_rootfs (shim_host *h, container *c, Containerd__Types__Mount **mounts, size_t n,
                   sc_error *err)
{
  for (size_t i = 0; i < n; i++)
    {
      bool bind = false;
      for (size_t k = 0; k < mounts[i]->n_options; k++)
        bind |= strcmp (mounts[i]->options[k], "bind") == 0 || strcmp (mounts[i]->options[k], "rbind") == 0;
      if (!bind && mounts[i]->type[0] == '\0')
        {
          return sc_error_make (err, ENODEV, "mount %s on %s/rootfs", mounts[i]->source, c->bundle);
        }
      c->mounts++;
    }
  return 0;
}

static void
fake_unmount_rootfs (shim_host *h, container *c)
{
  c->mounts = 0;
}

static int
fake_kill (shim_host *h, pid_t pid, int sig, sc_error *err)
{
  fproc *p = proc_by_pid (pid);
  if (p == NULL || !p->alive)
    return sc_error_make (err, ESRCH, "kill %d", (int) pid);
  fctr *c = ctr_find (p->cid);
  if (fatal_signal (sig) && (c == NULL || c->state != F_PAUSED || sig == SIGKILL))
    kill_proc (p, sig);
  return 0;
}

static void
fake_watch_exit (shim_host *h, pid_t pid, exit_cb cb, void *data)
{
  for (size_t i = 0; i < F.nearly; i++)
    if (F.early[i].pid == pid)
      {
        int status = F.early[i].status;
        F.early[i] = F.early[--F.nearly];
        cb (pid, status, sc_now_wall_ns (), data);
        return;
      }
  CHECK (F.nwatches < MAX_PROC);
  F.watches[F.nwatches].pid = pid;
  F.watches[F.nwatches].cb = cb;
  F.watches[F.nwatches].data = data;
  F.nwatches++;
}

static void
fake_unwatch_exit (shim_host *h, pid_t pid)
{
  for (size_t i = 0; i < F.nwatches; i++)
    if (F.watches[i].pid == pid)
      {
        F.watches[i] = F.watches[--F.nwatches];
        return;
      }
}

/* ------------------------------------------------------------------ runtime */

static void
complete (rt_cb cb, void *data, int code, const char *out, const char *err)
{
  qitem *q = sc_xcalloc (1, sizeof (*q));
  q->kind = Q_RT;
  q->cb = cb;
  q->data = data;
  q->res.status = code << 8;
  q->res.out = sc_xstrdup (out ? out : "");
  q->res.out_len = strlen (q->res.out);
  q->res.err = sc_xstrdup (err ? err : "");
  enqueue (q);
}

static int
fake_rt_run (shim_host *h, container *c, const char *const *args, const int *child_stdio,
             const char *stdin_data, rt_cb cb, void *data, sc_error *err)
{
  const char *cmd = args[0];
  const char *pidfile = NULL, *pos[4] = { NULL };
  bool all = false, force = false;
  size_t npos = 0;
  for (size_t i = 1; args[i]; i++)
    {
      const char *a = args[i];
      if (strcmp (a, "--pid-file") == 0 && args[i + 1])
        pidfile = args[++i];
      else if ((strcmp (a, "--bundle") == 0 || strcmp (a, "--console-socket") == 0
                || strcmp (a, "--process") == 0 || strcmp (a, "--format") == 0
                || strcmp (a, "--resources") == 0)
               && args[i + 1])
        i++;
      else if (strcmp (a, "--all") == 0)
        all = true;
      else if (strcmp (a, "--force") == 0)
        force = true;
      else if (a[0] != '-' && npos < 4)
        pos[npos++] = a;
    }
  const char *id = pos[0] ? pos[0] : "";
  CHECK (strcmp (id, c->id) == 0); /* the shim names its own container */
  fctr *fc = ctr_find (id);
  if (strcmp (cmd, "create") == 0)
    {
      if (fc)
        return complete (cb, data, 1, NULL, "container with given ID already exists"), 0;
      for (size_t i = 0; i < MAX_CTR && fc == NULL; i++)
        if (!F.ctr[i].used)
          fc = &F.ctr[i];
      fproc *p = fc ? proc_new (id) : NULL;
      if (p == NULL)
        return complete (cb, data, 1, NULL, "fake runtime: too many containers"), 0;
      memset (fc, 0, sizeof (*fc));
      fc->used = true;
      snprintf (fc->id, sizeof (fc->id), "%s", id);
      fc->state = F_CREATED;
      fc->init = p->pid;
      fc->host_pidns = c->host_pidns;
      write_pid (pidfile, p->pid);
      return complete (cb, data, 0, NULL, NULL), 0;
    }
  if (fc == NULL)
    return complete (cb, data, 1, NULL, "container does not exist"), 0;
  fproc *init = proc_by_pid (fc->init);
  if (strcmp (cmd, "start") == 0)
    {
      if (fc->state != F_CREATED)
        return complete (cb, data, 1, NULL, "cannot start a container that has stopped"), 0;
      fc->state = F_RUNNING;
      return complete (cb, data, 0, NULL, NULL), 0;
    }
  if (strcmp (cmd, "kill") == 0)
    {
      int sig = pos[1] ? atoi (pos[1]) : SIGTERM;
      if (init == NULL || !init->alive)
        return complete (cb, data, 1, NULL, "container not running"), 0;
      signal_ctr (fc, sig, all);
      return complete (cb, data, 0, NULL, NULL), 0;
    }
  if (strcmp (cmd, "exec") == 0)
    {
      if (fc->state != F_RUNNING)
        return complete (cb, data, 1, NULL, "cannot exec in a stopped or paused container"), 0;
      fproc *p = proc_new (id);
      if (p == NULL)
        return complete (cb, data, 1, NULL, "fake runtime: too many processes"), 0;
      write_pid (pidfile, p->pid);
      return complete (cb, data, 0, NULL, NULL), 0;
    }
  if (strcmp (cmd, "delete") == 0)
    {
      if (init && init->alive && !force)
        return complete (cb, data, 1, NULL, "cannot delete container that is not stopped"), 0;
      signal_ctr (fc, SIGKILL, true);
      fc->used = false;
      /* its processes are gone with it: a new container of that id is new */
      for (size_t i = 0; i < F.nstarted;)
        {
          fproc *x = proc_by_pid (F.started[i]);
          if (x && strcmp (x->cid, id) == 0)
            F.started[i] = F.started[--F.nstarted];
          else
            i++;
        }
      return complete (cb, data, 0, NULL, NULL), 0;
    }
  if (strcmp (cmd, "pause") == 0 || strcmp (cmd, "resume") == 0)
    {
      bool pausing = cmd[0] == 'p';
      if (fc->state != (pausing ? F_RUNNING : F_PAUSED))
        return complete (cb, data, 1, NULL, pausing ? "container not running" : "container not paused"), 0;
      fc->state = pausing ? F_PAUSED : F_RUNNING;
      return complete (cb, data, 0, NULL, NULL), 0;
    }
  if (strcmp (cmd, "ps") == 0)
    {
      char out[MAX_PROC * 12 + 4] = "[";
      size_t n = 1;
      for (size_t i = 0; i < MAX_PROC; i++)
        if (F.proc[i].used && F.proc[i].alive && strcmp (F.proc[i].cid, id) == 0)
          n += (size_t) snprintf (out + n, sizeof (out) - n, "%s%d", n > 1 ? "," : "",
                                  (int) F.proc[i].pid);
      snprintf (out + n, sizeof (out) - n, "]");
      return complete (cb, data, 0, out, NULL), 0;
    }
  if (strcmp (cmd, "update") == 0)
    {
      json_t *res = stdin_data ? json_loads (stdin_data, 0, NULL) : NULL;
      bool ok = json_is_object (res);
      json_decref (res);
      return complete (cb, data, ok ? 0 : 1, NULL, ok ? NULL : "bad resources"), 0;
    }
  if (strcmp (cmd, "events") == 0)
    {
      if (init == NULL || !init->alive)
        return complete (cb, data, 1, NULL, "container not running"), 0;
      if (F.stats_n++ & 1)
        /* runc's shape on a cgroup v2 host: "max" limits as 2^64-1 */
        return complete (cb, data, 0,
                         "{\"type\":\"stats\",\"id\":\"x\",\"data\":{\"cpu\":{\"usage\":{\"total\":7000,"
                         "\"user\":5000,\"kernel\":2000}},\"memory\":{\"usage\":{\"usage\":4096,"
                         "\"limit\":18446744073709551615},\"swap\":{\"usage\":4096,\"limit\":"
                         "18446744073709551615},\"raw\":{\"anon\":1024,\"file\":2048}},\"pids\":{"
                         "\"current\":2},\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":"
                         "\"Read\",\"value\":512}]},\"hugetlb\":{\"2MB\":{\"failcnt\":0}}}}\n",
                         NULL),
               0;
      return complete (cb, data, 0,
                       "{\"type\":\"stats\",\"id\":\"x\",\"data\":{\"cpu\":{\"usage\":{\"total\":7,"
                       "\"percpu\":[3,4]}},\"memory\":{\"usage\":{\"usage\":4096,\"limit\":8192}},"
                       "\"pids\":{\"current\":2,\"limit\":10}}}\n",
                       NULL),
             0;
    }
  return sc_error_make (err, 0, "fake runtime: unknown command %s", cmd);
}

/* ------------------------------------------------------------------ stdio */

static int
fake_stdio_prepare (shim_host *h, process *p, int child_fds[3], char **console, sc_error *err)
{
  const char *paths[3] = { p->in, p->out, p->err };
  for (int i = 0; i < 3; i++)
    {
      child_fds[i] = -1;
      if (paths[i] && *paths[i] && strstr (paths[i], "/fuzz/") == NULL)
        {
          return sc_error_make (err, ENOENT, "open %s", paths[i]);
        }
    }
  *console = p->terminal ? (char *) console_path : NULL;
  return 0;
}

/* a binary:// logger: ready on a later turn, unless its path says not */
static void
fake_stdio_when_ready (shim_host *h, process *p, void (*cb) (void *, const char *), void *data)
{
  if (p->out == NULL || strncmp (p->out, "binary", 6) != 0)
    {
      cb (data, NULL);
      return;
    }
  qitem *q = sc_xcalloc (1, sizeof (*q));
  q->kind = Q_READY;
  q->ready_cb = cb;
  q->not_ready = strstr (p->out, "notready") != NULL;
  q->data = data;
  enqueue (q);
}

static int
fake_stdio_start (shim_host *h, process *p, sc_error *err)
{
  return 0;
}

static void
fake_stdio_close_stdin (shim_host *h, process *p)
{
}

static int
fake_stdio_resize (shim_host *host, process *p, uint32_t w, uint32_t h, sc_error *err)
{
  if (!p->terminal)
    {
      return sc_error_make (err, ENOTTY, "resize");
    }
  return 0;
}

static void
fake_stdio_when_drained (shim_host *h, process *p, int64_t timeout_ms, void (*cb) (void *),
                         void *data)
{
  qitem *q = sc_xcalloc (1, sizeof (*q));
  q->kind = Q_DRAIN;
  q->drain_cb = cb;
  q->data = data;
  enqueue (q);
}

static void
fake_stdio_free (shim_host *h, process *p)
{
}

/* ------------------------------------------------------------------ events */

static const pub_exit *
exit_of_pid (pid_t pid)
{
  for (size_t i = 0; i < F.nexits; i++)
    if (F.exits[i].pid == pid)
      return &F.exits[i];
  return NULL;
}

static void
on_started (pid_t pid)
{
  /* I7: no start is published after that process's exit */
  CHECK (exit_of_pid (pid) == NULL);
  if (F.nstarted < MAX_PROC)
    F.started[F.nstarted++] = pid;
}

static void
on_exit_event (const Containerd__Events__TaskExit *e)
{
  pid_t pid = (pid_t) e->pid;
  /* I5: one exit per process, with the status it really had */
  CHECK (exit_of_pid (pid) == NULL);
  fproc *fp = proc_by_pid (pid);
  CHECK (fp != NULL && !fp->alive);
  uint32_t want = WIFEXITED (fp->status) ? (uint32_t) WEXITSTATUS (fp->status)
                                        : 128u + (uint32_t) WTERMSIG (fp->status);
  CHECK (e->exit_status == want);
  /* I6: the init's exit is the container's last: every started exec of
   * its container has published its exit already */
  if (strcmp (e->id, e->container_id) == 0)
    for (size_t i = 0; i < F.nstarted; i++)
      {
        fproc *x = proc_by_pid (F.started[i]);
        if (x && x->pid != pid && strcmp (x->cid, e->container_id) == 0)
          CHECK (exit_of_pid (x->pid) != NULL);
      }
  if (F.nexits < MAX_EXITS)
    {
      pub_exit *p = &F.exits[F.nexits++];
      snprintf (p->cid, sizeof (p->cid), "%s", e->container_id);
      snprintf (p->id, sizeof (p->id), "%s", e->id);
      p->pid = pid;
      p->status = e->exit_status;
    }
}

static void
fake_publish (shim_host *h, const char *topic, const ProtobufCMessage *ev)
{
  /* the event must encode (as events.c will pack it) */
  size_t len;
  uint8_t *buf = sc_pb_pack (ev, &len);
  free (buf);
  if (strcmp (topic, "/tasks/exit") == 0)
    on_exit_event ((const Containerd__Events__TaskExit *) ev);
  else if (strcmp (topic, "/tasks/start") == 0)
    on_started ((pid_t) ((const Containerd__Events__TaskStart *) ev)->pid);
  else if (strcmp (topic, "/tasks/exec-started") == 0)
    on_started ((pid_t) ((const Containerd__Events__TaskExecStarted *) ev)->pid);
}

size_t
fake_host_exits_published (void)
{
  return F.nexits;
}

int64_t
fake_host_published_exit (const char *container_id, const char *id, size_t since)
{
  for (size_t i = F.nexits; i-- > since;)
    if (strcmp (F.exits[i].cid, container_id) == 0 && strcmp (F.exits[i].id, id) == 0)
      return F.exits[i].status;
  return -1;
}

static void
fake_request_shutdown (shim_host *h)
{
  F.shutdown = true;
}

bool
fake_host_shutdown_requested (void)
{
  return F.shutdown;
}

/* ------------------------------------------------------------------ lifecycle */

void
fake_host_init (sc_loop *loop)
{
  memset (&F, 0, sizeof (F));
  F.loop = loop;
  F.next_pid = 1000;
}

void
fake_host_reset (void)
{
  sc_timer_stop (&F.timer);
  while (F.head)
    {
      qitem *q = F.head;
      F.head = q->next;
      free (q->res.out);
      free (q->res.err);
      free (q);
    }
  for (size_t i = 0; i < MAX_FILES; i++)
    {
      free (F.files[i].path);
      free (F.files[i].text);
    }
  fake_host_init (F.loop);
}

/* no memory cgroups here: OOM kills never happen */
static void
fake_watch_oom (shim_host *h, container *c, pid_t pid)
{
}

static void
fake_oom_poll (shim_host *h, container *c)
{
}

static void
fake_unwatch_oom (shim_host *h, container *c)
{
}

static bool
fake_cgroup_unified (shim_host *h)
{
  return (F.stats_n & 1) == 0 && F.stats_n > 0;
}

static int
fake_memory_events (shim_host *h, container *c, uint64_t out[5])
{
  for (int i = 0; i < 5; i++)
    out[i] = (uint64_t) i;
  return 0;
}

static const shim_host_ops fake_ops = {
  .rt_run = fake_rt_run,
  .find_runtime = fake_find_runtime,
  .kill = fake_kill,
  .watch_exit = fake_watch_exit,
  .unwatch_exit = fake_unwatch_exit,
  .mount_rootfs = fake_mount_rootfs,
  .unmount_rootfs = fake_unmount_rootfs,
  .stat_bundle = fake_stat_bundle,
  .read_spec = fake_read_spec,
  .write_file = fake_write_file,
  .read_pid = fake_read_pid,
  .remove_file = fake_remove_file,
  .stdio_prepare = fake_stdio_prepare,
  .stdio_when_ready = fake_stdio_when_ready,
  .stdio_start = fake_stdio_start,
  .stdio_close_stdin = fake_stdio_close_stdin,
  .stdio_resize = fake_stdio_resize,
  .stdio_when_drained = fake_stdio_when_drained,
  .stdio_free = fake_stdio_free,
  .publish = fake_publish,
  .watch_oom = fake_watch_oom,
  .oom_poll = fake_oom_poll,
  .unwatch_oom = fake_unwatch_oom,
  .cgroup_unified = fake_cgroup_unified,
  .memory_events = fake_memory_events,
  .request_shutdown = fake_request_shutdown,
};

shim_host fake_host = { &fake_ops };
