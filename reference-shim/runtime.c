/* The OCI runtime CLI (runc or any runc-compatible binary), asynchronously:
 * a child process whose exit comes through the reaper and whose output is
 * read by loop watchers.  The loop never waits for a runtime. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rtout.h"
#include "runtime.h"

extern char **environ;

typedef struct rt_call
{
  sc_loop *loop;
  char *logpath;            /* the runtime's --log, read when it failed */
  rt_cb cb;
  void *data;
  pid_t pid;
  int status;
  bool exited;
  int out_fd, err_fd, in_fd;
  sc_watch out_w, err_w, in_w;
  char *out, *err;
  size_t out_len, err_len;
  const char *in_data;
  size_t in_len, in_off;
  sc_timer eof_timer;
} rt_call;

/* runc writes {"level":"error","msg":...} lines to --log: the last one */
static char *
last_log_error (const char *path)
{
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return NULL;
  char *last = NULL;
  char line[8192];
  while (fgets (line, sizeof (line), f))
    {
      json_t *j = json_loads (line, 0, NULL);
      if (j == NULL)
        continue;
      json_t *lv = json_object_get (j, "level");
      json_t *msg = json_object_get (j, "msg");
      if (json_is_string (lv) && strcmp (json_string_value (lv), "error") == 0 && json_is_string (msg))
        {
          free (last);
          last = sc_xstrdup (json_string_value (msg));
        }
      json_decref (j);
    }
  fclose (f);
  return last;
}

static void
finish_if_done (rt_call *rc)
{
  if (!rc->exited || rc->out_fd >= 0 || rc->err_fd >= 0)
    return;
  sc_timer_stop (&rc->eof_timer);
  if (rc->in_fd >= 0)
    {
      sc_watch_stop (&rc->in_w);
      close (rc->in_fd);
    }
  rt_result r = { rc->status, rc->out ? rc->out : (char *) "", rc->out_len,
                  rc->err ? rc->err : (char *) "", NULL };
  if (!rt_ok (&r))
    r.log_error = last_log_error (rc->logpath);
  rc->cb (&r, rc->data);
  free (r.log_error);
  free (rc->out);
  free (rc->err);
  free (rc->logpath);
  free (rc);
}

static void
close_stream (rt_call *rc, int *fd, sc_watch *w)
{
  if (*fd < 0)
    return;
  sc_watch_stop (w);
  close (*fd);
  *fd = -1;
}

static void
read_stream (rt_call *rc, int *fd, sc_watch *w, char **buf, size_t *len)
{
  char tmp[8192];
  for (;;)
    {
      ssize_t n = read (*fd, tmp, sizeof (tmp));
      if (n > 0)
        {
          if (*len < (4u << 20)) /* runtime output beyond 4 MiB is dropped */
            {
              *buf = sc_xrealloc (*buf, *len + (size_t) n + 1);
              memcpy (*buf + *len, tmp, (size_t) n);
              *len += (size_t) n;
              (*buf)[*len] = '\0';
            }
          continue;
        }
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      close_stream (rc, fd, w);
      return;
    }
}

static void
on_out (sc_watch *w, uint32_t ev)
{
  rt_call *rc = w->data;
  read_stream (rc, &rc->out_fd, &rc->out_w, &rc->out, &rc->out_len);
  finish_if_done (rc);
}

static void
on_err (sc_watch *w, uint32_t ev)
{
  rt_call *rc = w->data;
  read_stream (rc, &rc->err_fd, &rc->err_w, &rc->err, &rc->err_len);
  finish_if_done (rc);
}

static void
on_in (sc_watch *w, uint32_t ev)
{
  rt_call *rc = w->data;
  while (rc->in_off < rc->in_len)
    {
      ssize_t n = write (rc->in_fd, rc->in_data + rc->in_off, rc->in_len - rc->in_off);
      if (n < 0)
        {
          if (errno == EAGAIN)
            return;
          break;
        }
      rc->in_off += (size_t) n;
    }
  sc_watch_stop (&rc->in_w);
  close (rc->in_fd);
  rc->in_fd = -1;
}

static void
eof_overdue (sc_timer *t)
{
  /* exited, but something it spawned keeps its output open: stop waiting */
  rt_call *rc = t->data;
  close_stream (rc, &rc->out_fd, &rc->out_w);
  close_stream (rc, &rc->err_fd, &rc->err_w);
  finish_if_done (rc);
}

static void
on_exit_cb (pid_t pid, int status, int64_t at_ns, void *data)
{
  rt_call *rc = data;
  rc->exited = true;
  rc->status = status;
  if (rc->out_fd >= 0 || rc->err_fd >= 0)
    {
      /* drain what is already there, then give stragglers a moment */
      if (rc->out_fd >= 0)
        read_stream (rc, &rc->out_fd, &rc->out_w, &rc->out, &rc->out_len);
      if (rc->err_fd >= 0)
        read_stream (rc, &rc->err_fd, &rc->err_w, &rc->err, &rc->err_len);
      if (rc->out_fd >= 0 || rc->err_fd >= 0)
        {
          sc_timer_start (rc->loop, &rc->eof_timer, 1000, eof_overdue, rc);
          return;
        }
    }
  finish_if_done (rc);
}

static void
close_pipes (int a[2], int b[2], int c[2])
{
  int *all[] = { a, b, c };
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++)
      if (all[i][j] >= 0)
        close (all[i][j]);
}

int
rt_run (sc_loop *loop, reaper *reap, const container *c, const char *const *args,
        const int *child_stdio, const char *stdin_data, rt_cb cb, void *data, sc_error *err)
{
  const char *argv[64];
  int k = 0;
  const char *root = c->root;
  char *logpath = sc_xasprintf ("%s/log.json", c->bundle);
  argv[k++] = c->runtime;
  argv[k++] = "--root";
  argv[k++] = root;
  argv[k++] = "--log";
  argv[k++] = logpath;
  argv[k++] = "--log-format";
  argv[k++] = "json";
  if (c->systemd_cgroup)
    argv[k++] = "--systemd-cgroup";
  for (int i = 0; args[i] && k < 62; i++)
    argv[k++] = args[i];
  argv[k] = NULL;

  int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 };
  if (child_stdio == NULL)
    {
      if (pipe2 (outp, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2 (errp, O_CLOEXEC | O_NONBLOCK) < 0
          || (stdin_data && pipe2 (inp, O_CLOEXEC | O_NONBLOCK) < 0))
        {
          int e = errno;
          free (logpath);
          close_pipes (outp, errp, inp);
          return sc_error_make (err, e, "pipe");
        }
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      int fds[3] = { -1, -1, -1 };
      if (child_stdio)
        memcpy (fds, child_stdio, sizeof (fds));
      else
        {
          fds[0] = stdin_data ? inp[0] : -1;
          fds[1] = outp[1];
          fds[2] = errp[1];
          /* the child side must block normally */
          fcntl (fds[1], F_SETFL, 0);
          fcntl (fds[2], F_SETFL, 0);
          if (stdin_data)
            fcntl (fds[0], F_SETFL, 0);
        }
      if (reaper_child_setup (fds, 3) < 0)
        _exit (127);
      if (chdir (c->bundle) < 0)
        _exit (127);
      execvp (argv[0], (char *const *) argv);
      dprintf (2, "exec %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  if (pid < 0)
    {
      int e = errno;
      free (logpath);
      close_pipes (outp, errp, inp);
      return sc_error_make (err, e, "fork");
    }
  rt_call *rc = sc_xcalloc (1, sizeof (*rc));
  rc->loop = loop;
  rc->logpath = logpath;
  rc->cb = cb;
  rc->data = data;
  rc->pid = pid;
  rc->out_fd = rc->err_fd = rc->in_fd = -1;
  if (child_stdio == NULL)
    {
      close (outp[1]);
      close (errp[1]);
      rc->out_fd = outp[0];
      rc->err_fd = errp[0];
      sc_watch_start (loop, &rc->out_w, rc->out_fd, EPOLLIN, on_out, rc, NULL);
      sc_watch_start (loop, &rc->err_w, rc->err_fd, EPOLLIN, on_err, rc, NULL);
      if (stdin_data)
        {
          close (inp[0]);
          rc->in_fd = inp[1];
          rc->in_data = stdin_data;
          rc->in_len = strlen (stdin_data);
          sc_watch_start (loop, &rc->in_w, rc->in_fd, EPOLLOUT, on_in, rc, NULL);
        }
    }
  reaper_watch (reap, pid, on_exit_cb, rc);
  return 0;
}

