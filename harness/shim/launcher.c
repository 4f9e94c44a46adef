#include "launcher.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containerd/bootstrap/bootstrap.pb-c.h"
#include "pb.h"
#include <jansson.h>

extern char **environ;

#define LOG_CAP (256 * 1024)

static void
log_readable (sc_watch *w, uint32_t events)
{
  sc_shim *s = w->data;
  char buf[8192];
  for (int i = 0; i < 8; i++)
    {
      ssize_t n = read (s->log_fd, buf, sizeof (buf));
      if (n <= 0)
        break;
      /* keep the last LOG_CAP bytes */
      if (s->log_len + (size_t) n > LOG_CAP)
        {
          size_t drop = s->log_len + (size_t) n - LOG_CAP;
          if (drop > s->log_len)
            drop = s->log_len;
          memmove (s->log, s->log + drop, s->log_len - drop);
          s->log_len -= drop;
        }
      if ((size_t) n > LOG_CAP)
        n = LOG_CAP;
      s->log = sc_xrealloc (s->log, s->log_len + (size_t) n + 1);
      memcpy (s->log + s->log_len, buf, (size_t) n);
      s->log_len += (size_t) n;
      s->log[s->log_len] = '\0';
    }
}

static int
open_log (sc_shim *s, sc_error *err)
{
  char *path = sc_xasprintf ("%s/log", s->bundle);
  struct stat st;
  int rc = 0;
  if (lstat (path, &st) == 0)
    {
      if (!S_ISFIFO (st.st_mode))
        rc = sc_error_make (err, 0, "bundle log %s exists and is not a FIFO", path);
    }
  else if (mkfifo (path, 0700) < 0)
    rc = sc_error_make (err, errno, "mkfifo %s", path);
  if (rc == 0)
    {
      s->log_fd = open (path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (s->log_fd < 0)
        rc = sc_error_make (err, errno, "open log FIFO %s", path);
      else if (sc_watch_start (s->loop, &s->log_watch, s->log_fd, EPOLLIN, log_readable, s, err)
               < 0)
        rc = -1;
    }
  free (path);
  return rc;
}

void
sc_shim_log_detach (sc_shim *s)
{
  if (s->log_fd < 0)
    return;
  log_readable (&s->log_watch, EPOLLIN); /* what is there already */
  sc_watch_stop (&s->log_watch);
  close (s->log_fd);
  s->log_fd = -1;
}

int
sc_shim_log_reattach (sc_shim *s, sc_error *err)
{
  if (s->log_fd >= 0)
    return 0;
  if (open_log (s, err) < 0)
    {
      if (s->log_fd >= 0)
        close (s->log_fd);
      s->log_fd = -1;
      return -1;
    }
  return 0;
}

static char **
build_env (const sc_shim *s)
{
  static const char *const ours[] = { "TTRPC_ADDRESS=", "GRPC_ADDRESS=", "NAMESPACE=",
                                      "MAX_SHIM_VERSION=", "GOMAXPROCS=" };
  size_t n = 0;
  while (environ[n])
    n++;
  char **env = sc_xcalloc (n + 8, sizeof (char *));
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    {
      bool skip = false;
      for (size_t j = 0; j < sizeof (ours) / sizeof (ours[0]); j++)
        if (strncmp (environ[i], ours[j], strlen (ours[j])) == 0)
          skip = true;
      if (!skip)
        env[k++] = sc_xstrdup (environ[i]);
    }
  env[k++] = sc_xstrdup ("GOMAXPROCS=2");
  env[k++] = sc_xasprintf ("TTRPC_ADDRESS=%s", s->ttrpc_address);
  if (s->profile->env_grpc_namespace)
    {
      env[k++] = sc_xasprintf ("GRPC_ADDRESS=%s", s->grpc_address);
      env[k++] = sc_xasprintf ("NAMESPACE=%s", s->ns);
      env[k++] = sc_xstrdup ("MAX_SHIM_VERSION=2");
    }
  env[k] = NULL;
  return env;
}

static void
free_strv (char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free (v[i]);
  free (v);
}

/* argv of start/delete, in containerd's order (docs/shim-behaviour.md#start, #delete-binary) */
static char **
build_argv (const sc_shim *s, const char *action)
{
  char **argv = sc_xcalloc (16, sizeof (char *));
  size_t k = 0;
  argv[k++] = sc_xstrdup (s->shim);
  argv[k++] = sc_xstrdup ("-namespace");
  argv[k++] = sc_xstrdup (s->ns);
  argv[k++] = sc_xstrdup ("-address");
  argv[k++] = sc_xstrdup (s->grpc_address);
  argv[k++] = sc_xstrdup ("-publish-binary");
  argv[k++] = sc_xstrdup (s->publish_binary);
  argv[k++] = sc_xstrdup ("-id");
  argv[k++] = sc_xstrdup (s->id);
  if (strcmp (action, "delete") == 0)
    {
      argv[k++] = sc_xstrdup ("-bundle");
      argv[k++] = sc_xstrdup (s->bundle);
    }
  if (s->debug)
    argv[k++] = sc_xstrdup ("-debug");
  argv[k++] = sc_xstrdup (action);
  argv[k] = NULL;
  return argv;
}

/* 2.3 (pkg/shim/util.go Command): shims named like the v1 ones still get
 * the raw options, everyone else a BootstrapParams */
static bool
gets_bootstrap_params (const sc_shim *s)
{
  const char *base = strrchr (s->shim, '/');
  base = base ? base + 1 : s->shim;
  return s->profile->bootstrap_params && strstr (base, "shim-runc-v1") == NULL
         && strstr (base, "shim-runhcs-v1") == NULL;
}

/* what start gets on stdin */
static void
start_stdin (sc_shim *s, const sc_launch_opts *o)
{
  if (!gets_bootstrap_params (s))
    {
      if (o->options && o->options_len)
        {
          s->start_stdin = sc_xmalloc (o->options_len);
          memcpy (s->start_stdin, o->options, o->options_len);
          s->start_stdin_len = o->options_len;
        }
      return;
    }
  Containerd__Runtime__Bootstrap__V1__BootstrapParams bp
    = CONTAINERD__RUNTIME__BOOTSTRAP__V1__BOOTSTRAP_PARAMS__INIT;
  bp.instance_id = s->id;
  bp.namespace_ = s->ns;
  bp.log_level = s->debug ? CONTAINERD__RUNTIME__BOOTSTRAP__V1__LOG_LEVEL__LOG_LEVEL_DEBUG
                          : CONTAINERD__RUNTIME__BOOTSTRAP__V1__LOG_LEVEL__LOG_LEVEL_INFO;
  bp.containerd_version = (char *) s->profile->version_string;
  bp.containerd_ttrpc_address = s->ttrpc_address;
  bp.containerd_grpc_address = s->grpc_address;
  bp.containerd_binary = s->publish_binary;
  Containerd__Runtime__Bootstrap__V1__Extension ext
    = CONTAINERD__RUNTIME__BOOTSTRAP__V1__EXTENSION__INIT;
  Containerd__Runtime__Bootstrap__V1__Extension *exts[1] = { &ext };
  Google__Protobuf__Any *any = NULL;
  if (o->options && o->options_len)
    {
      any = google__protobuf__any__unpack (NULL, o->options_len, o->options);
      if (any)
        {
          ext.value = any;
          bp.extensions = exts;
          bp.n_extensions = 1;
        }
    }
  if (s->socket_dir)
    {
      bp.has_socket_dir_case = CONTAINERD__RUNTIME__BOOTSTRAP__V1__BOOTSTRAP_PARAMS__HAS_SOCKET_DIR_SOCKET_DIR;
      bp.socket_dir = s->socket_dir;
    }
  s->start_stdin_len = containerd__runtime__bootstrap__v1__bootstrap_params__get_packed_size (&bp);
  s->start_stdin = sc_xmalloc (s->start_stdin_len + 1);
  containerd__runtime__bootstrap__v1__bootstrap_params__pack (&bp, s->start_stdin);
  if (any)
    google__protobuf__any__free_unpacked (any, NULL);
}

/* runs `<shim> <containerd flags> action` in the bundle, in its own process
 * group, with containerd's environment */
static int
run_action (const sc_shim *s, const char *action, const void *in, size_t in_len, bool merge,
            int64_t timeout_ms, sc_run_result *r, sc_error *err)
{
  char **argv = build_argv (s, action);
  char **env = build_env (s);
  sc_run_opts ro = {
    .path = s->shim,
    .argv = argv,
    .envp = env,
    .cwd = s->bundle,
    .stdin_data = in,
    .stdin_len = in_len,
    .merge_stderr = merge,
    .setpgid = true,
    .timeout_ms = timeout_ms,
    .eof_grace_ms = 500,
  };
  int rc = sc_run (&ro, r, err);
  free_strv (argv);
  free_strv (env);
  return rc;
}

/* the first line or 300 bytes of program output, for error messages */
static char *
excerpt (const char *out, size_t len)
{
  size_t n = len > 300 ? 300 : len;
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
    n--;
  return sc_xasprintf ("%.*s%s", (int) n, out, len > 300 ? "…" : "");
}

int
sc_shim_start (sc_loop *loop, const sc_launch_opts *o, sc_shim **out, sc_error *err)
{
  sc_shim *s = sc_xcalloc (1, sizeof (*s));
  *out = s;
  s->loop = loop;
  s->log_fd = -1;
  s->daemon_pidfd = -1;
  /* start and delete run with cwd = bundle: resolve the binary first, as
   * containerd does (a relative path would not survive the chdir) */
  char resolved[PATH_MAX];
  s->shim = sc_xstrdup (realpath (o->shim, resolved) ? resolved : o->shim);
  s->ns = sc_xstrdup (o->ns);
  s->id = sc_xstrdup (o->id);
  s->bundle = sc_xstrdup (o->bundle);
  s->grpc_address = sc_xstrdup (o->grpc_address);
  s->ttrpc_address = sc_xstrdup (o->ttrpc_address);
  s->publish_binary = sc_xstrdup (o->publish_binary ? o->publish_binary : "/usr/bin/containerd");
  s->own_dir = o->own_dir ? sc_xstrdup (o->own_dir) : NULL;
  s->debug = o->debug;
  s->profile = o->profile ? o->profile : sc_profile_default ();
  s->socket_dir = o->socket_dir ? sc_xstrdup (o->socket_dir) : NULL;
  s->start_timeout_ms = o->start_timeout_ms > 0 ? o->start_timeout_ms : 5000;
  s->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
  s->delete_timeout_ms = o->delete_timeout_ms > 0 ? o->delete_timeout_ms : 10000;

  if (access (s->shim, X_OK) < 0)
    return sc_error_make (err, errno, "shim binary %s", s->shim);
  if (open_log (s, err) < 0)
    return sc_error_wrap (err, "bundle %s", s->bundle);

  /* containerd uses CombinedOutput for start */
  start_stdin (s, o);
  int rc = run_action (s, "start", s->start_stdin, s->start_stdin_len, true, s->start_timeout_ms,
                       &s->start, err);
  if (rc < 0)
    return sc_error_wrap (err, "shim start");

  char *ex = excerpt (s->start.out, s->start.out_len);
  if (s->start.timed_out)
    rc = sc_error_make (err, 0, "shim start did not exit within %.1f s (killed); output: \"%s\"",
                        s->start_timeout_ms / 1000.0, ex);
  else if (!WIFEXITED (s->start.status) || WEXITSTATUS (s->start.status) != 0)
    rc = sc_error_make (err, 0, "shim start %s: %s", sc_wait_status_str (s->start.status),
                        *ex ? ex : "(no output)");
  else if (s->start.output_held_open)
    rc = sc_error_make (err, 0,
                        "shim start exited 0 but its stdout/stderr stayed open: a process it "
                        "left behind inherited them, and containerd would block on it "
                        "(output so far: \"%s\")",
                        ex);
  else if (s->start.out_len == 0)
    rc = sc_error_make (err, 0, "shim start exited 0 but printed no address");
  free (ex);
  if (rc < 0)
    return rc;
  if (sc_shim_address_parse (s->start.out, s->start.out_len, s->profile, &s->addr, err) < 0)
    return sc_error_wrap (err, "shim start output");
  if (s->addr.abstract || !sc_shim_socket_allowed (s->addr.name, s->own_dir))
    return sc_error_make (err, 0,
                          "shim start printed %s: %s; refusing to connect to it (a shim socket "
                          "belongs under %s)",
                          s->addr.address,
                          s->addr.abstract ? "an abstract socket, which any process can bind (CVE-2020-15257)"
                                           : "a socket outside the shim socket directories",
                          SC_SHIM_SOCKET_ROOT);
  return 0;
}

/* writes a new file at path through a temp file and rename (as containerd's
 * atomicfile): a symlink the shim planted at path is replaced, never followed */
static int
write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, sc_error *err)
{
  char *tmp = sc_xasprintf ("%s.sc-tmp", path);
  unlink (tmp);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  int rc = 0;
  if (fd < 0)
    rc = sc_error_make (err, errno, "create %s", tmp);
  else
    {
      size_t off = 0;
      while (rc == 0 && off < len)
        {
          ssize_t n = write (fd, data + off, len - off);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            rc = sc_error_make (err, errno, "write %s", tmp);
          else
            off += (size_t) n;
        }
      if (close (fd) < 0 && rc == 0)
        rc = sc_error_make (err, errno, "close %s", tmp);
      if (rc == 0 && rename (tmp, path) < 0)
        rc = sc_error_make (err, errno, "rename %s to %s", tmp, path);
      if (rc < 0)
        unlink (tmp);
    }
  free (tmp);
  return rc;
}

/* what containerd writes in the bundle once start answered
 * (runtime/v2/binary.go Start, every version): the runtime's path in
 * shim-binary-path; 2.x also the parsed start result in bootstrap.json, for
 * reloading after a restart */
static int
write_bundle_files (sc_shim *s, sc_error *err)
{
  char *bin = sc_xasprintf ("%s/shim-binary-path", s->bundle);
  int rc = write_file_atomic (bin, s->shim, strlen (s->shim), 0600, err);
  free (bin);
  if (rc == 0 && s->profile->writes_bootstrap_json)
    {
      json_t *j = json_pack ("{s:i, s:s, s:s}", "version", s->addr.version, "address",
                             s->addr.address, "protocol",
                             s->addr.protocol ? s->addr.protocol : "ttrpc");
      char *text = j ? json_dumps (j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
      json_decref (j);
      char *path = sc_xasprintf ("%s/bootstrap.json", s->bundle);
      rc = text ? write_file_atomic (path, text, strlen (text), 0644, err)
                : sc_error_make (err, 0, "bootstrap.json: cannot encode the address");
      free (text);
      free (path);
    }
  return rc < 0 ? sc_error_wrap (err, "as containerd %s does", s->profile->name) : 0;
}

int
sc_shim_connect (sc_shim *s, sc_error *err)
{
  if (s->addr.name == NULL)
    return sc_error_make (err, 0, "connect: no address (start failed)");
  if (s->rpc)
    return 0;
  if (sc_ttrpc_client_dial_unix (s->loop, s->addr.name, s->addr.abstract, s->connect_timeout_ms,
                                 &s->rpc, err)
      < 0)
    return sc_error_wrap (err, "connect to shim address %s within %.1f s", s->addr.address,
                          s->connect_timeout_ms / 1000.0);
  /* containerd 1.x's task requests carry no namespace metadata, 2.x's do */
  if (s->profile->namespace_metadata)
    sc_ttrpc_client_set_namespace (s->rpc, s->ns);
  s->task.rpc = s->rpc;
  if (s->task.service == NULL)
    s->task.service = s->addr.task_service;
  s->task.timeout_ms = 10000;
  if (write_bundle_files (s, err) < 0)
    return -1;
  sc_shim_identify (s);
  return 0;
}

bool
sc_shim_downgrade (sc_shim *s)
{
  if (!s->profile->v3_fallback || s->task.service == NULL
      || strcmp (s->task.service, SC_TASK_V3_SERVICE) != 0)
    return false;
  s->task.service = SC_TASK_V2_SERVICE;
  return true;
}

void
sc_shim_track (sc_shim *s, pid_t reported_pid)
{
  s->reported_pid = reported_pid;
}

void
sc_shim_forget_daemon (sc_shim *s)
{
  if (s->daemon_pidfd >= 0)
    close (s->daemon_pidfd);
  s->daemon_pidfd = -1;
  s->daemon_pid = 0;
}

pid_t
sc_shim_identify (sc_shim *s)
{
  pid_t pid = s->addr.name ? sc_socket_server_pid (s->addr.name, s->addr.abstract, getpid ()) : 0;
  if (pid <= 0 || pid == s->daemon_pid)
    return pid > 0 ? pid : s->daemon_pid;
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (fd < 0)
    return s->daemon_pid; /* gone meanwhile */
  sc_shim_forget_daemon (s);
  s->daemon_pid = pid;
  s->daemon_pidfd = fd;
  return pid;
}

int
sc_shim_signal (sc_shim *s, int sig)
{
  if (s->daemon_pidfd < 0)
    return -1;
  return (int) syscall (SYS_pidfd_send_signal, s->daemon_pidfd, sig, NULL, 0);
}

void
sc_shim_disconnect (sc_shim *s)
{
  if (s->rpc)
    {
      sc_ttrpc_client_free (s->rpc);
      s->rpc = NULL;
      s->task.rpc = NULL;
    }
}

int
sc_shim_delete (sc_shim *s, Containerd__Task__V2__DeleteResponse **resp, sc_run_result *run,
                sc_error *err)
{
  if (resp)
    *resp = NULL;
  sc_run_result local;
  sc_run_result *r = run ? run : &local;
  /* stdout is the DeleteResponse; stderr is warnings: keep them apart */
  int rc = run_action (s, "delete", NULL, 0, false, s->delete_timeout_ms, r, err);
  if (rc < 0)
    return sc_error_wrap (err, "shim delete");
  char *ex = excerpt (r->err, r->err_len);
  if (r->timed_out)
    rc = sc_error_make (err, 0, "shim delete did not exit within %.1f s (killed); stderr: \"%s\"",
                        s->delete_timeout_ms / 1000.0, ex);
  else if (!WIFEXITED (r->status) || WEXITSTATUS (r->status) != 0)
    rc = sc_error_make (err, 0, "shim delete %s: %s", sc_wait_status_str (r->status),
                        *ex ? ex : "(no stderr)");
  free (ex);
  if (rc == 0)
    {
      Containerd__Task__V2__DeleteResponse *d
        = containerd__task__v2__delete_response__unpack (NULL, r->out_len, (uint8_t *) r->out);
      if (d == NULL)
        rc = sc_error_make (err, 0,
                            "shim delete printed %zu bytes on stdout that are not a raw "
                            "DeleteResponse protobuf",
                            r->out_len);
      else if (resp)
        *resp = d;
      else
        containerd__task__v2__delete_response__free_unpacked (d, NULL);
    }
  if (r == &local)
    sc_run_result_release (&local);
  return rc;
}

int
sc_shim_shutdown (sc_shim *s, int64_t timeout_ms)
{
  if (s->rpc && sc_ttrpc_client_connected (s->rpc))
    {
      sc_rpc_result r = { 0 };
      if (s->daemon_pid <= 0)
        sc_shim_identify (s);
      Containerd__Task__V2__ShutdownRequest sq = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
      sq.id = s->id;
      sc_task_call_timeout (&s->task, "Shutdown", &sq.base, 3000, NULL, &r);
      sc_rpc_result_release (&r);
    }
  sc_shim_disconnect (s);
  return sc_shim_wait_exit (s, timeout_ms);
}

int
sc_shim_wait_exit (sc_shim *s, int64_t timeout_ms)
{
  if (s->daemon_pid <= 0)
    return -1;
  return sc_pid_wait_gone (s->daemon_pid, timeout_ms, NULL);
}

void
sc_shim_kill (sc_shim *s)
{
  /* whatever stayed in start's process group (e.g. a daemon that kept its
   * stdout) */
  if (s->start.pid > 0)
    sc_kill_pgrp_wait (s->start.pid, 2000);
  if (s->daemon_pidfd >= 0 && sc_pid_alive (s->daemon_pid))
    {
      /* stop the daemon first so it cannot fork more, then its descendants
       * (found while it is stopped and still holds its children) */
      sc_shim_signal (s, SIGSTOP);
      pid_t *pids;
      size_t n = sc_proc_descendants (s->daemon_pid, &pids);
      sc_shim_signal (s, SIGKILL);
      for (size_t i = 0; i < n; i++)
        kill (pids[i], SIGKILL);
      free (pids);
      sc_pid_wait_gone (s->daemon_pid, 2000, NULL);
    }
  sc_reap_children ();
  /* a killed or crashed shim leaves its socket file, which accepts
   * connections until the last process holding the listener (a descendant)
   * is gone */
  struct stat st;
  for (int i = 0; s->daemon_pid > 0 && s->addr.name && !s->addr.abstract && i < 40
                  && !sc_unlink_dead_socket (s->addr.name, s->own_dir) && stat (s->addr.name, &st) == 0;
       i++)
    usleep (50000);
}

void
sc_shim_free (sc_shim *s)
{
  if (s == NULL)
    return;
  sc_shim_disconnect (s);
  sc_shim_kill (s);
  if (s->log_fd >= 0)
    {
      sc_watch_stop (&s->log_watch);
      close (s->log_fd);
    }
  sc_shim_forget_daemon (s);
  sc_run_result_release (&s->start);
  sc_shim_address_release (&s->addr);
  free (s->log);
  free (s->shim);
  free (s->ns);
  free (s->id);
  free (s->bundle);
  free (s->grpc_address);
  free (s->ttrpc_address);
  free (s->publish_binary);
  free (s->own_dir);
  free (s->socket_dir);
  free (s->start_stdin);
  free (s);
}
