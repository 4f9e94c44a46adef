/* binary:// and binary-v2:// loggers: see logger.h */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"
#include "logger.h"

struct logger
{
  sc_loop *loop;
  reaper *reap;
  pid_t pid;
  char *path;
  bool v2;
  int ready_fd;          /* our end of fd 5 */
  sc_watch ready_w;
  bool ready_on;
  sc_timer ready_timer;
  void (*ready_cb) (void *, const char *);
  void *ready_data;
  bool exited;
  bool released;
  sc_timer term_timer;   /* grace, then SIGTERM; then SIGKILL */
  bool termed;
};

bool
logger_uri (const char *uri, bool *v2)
{
  *v2 = strncmp (uri, "binary-v2://", 12) == 0;
  return *v2 || strncmp (uri, "binary://", 9) == 0;
}

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* percent-decodes s[0..n) (plus is a space in a query); NULL if malformed
 * or if it decodes to a NUL byte */
static char *
unescape (const char *s, size_t n, bool query)
{
  char *o = sc_xmalloc (n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    {
      char c = s[i];
      if (c == '%')
        {
          int hi = i + 2 < n ? hexval (s[i + 1]) : -1;
          int lo = i + 2 < n ? hexval (s[i + 2]) : -1;
          if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            {
              free (o);
              return NULL;
            }
          o[k++] = (char) (hi * 16 + lo);
          i += 2;
        }
      else
        o[k++] = query && c == '+' ? ' ' : c;
    }
  o[k] = '\0';
  return o;
}

typedef struct argv_b
{
  char **v;
  size_t n, cap;
} argv_b;

static void
argv_push (argv_b *a, char *s)
{
  if (a->n + 2 > a->cap)
    {
      a->cap = a->cap ? a->cap * 2 : 8;
      a->v = sc_xrealloc (a->v, a->cap * sizeof (char *));
    }
  a->v[a->n++] = s;
  a->v[a->n] = NULL;
}

static void
argv_free (argv_b *a)
{
  for (size_t i = 0; i < a->n; i++)
    free (a->v[i]);
  free (a->v);
}

/* scheme://[host]/path[?query]: argv[0] = path, then each query key and
 * the first value given for it, keys in the order they first appear */
static int
parse_uri (const char *uri, argv_b *a, sc_error *err)
{
  const char *p = strstr (uri, "://");
  if (p == NULL)
    return sc_error_make (err, 0, "logger URI %s has no scheme", uri);
  p += 3;
  const char *slash = strchr (p, '/');
  const char *q = strchr (p, '?');
  if (slash == NULL || (q && q < slash))
    return sc_error_make (err, 0, "logger URI %s names no absolute path", uri);
  const char *hash = strchr (slash, '#');
  size_t plen = (size_t) ((q ? q : hash ? hash : slash + strlen (slash)) - slash);
  char *path = unescape (slash, plen, false);
  if (path == NULL)
    return sc_error_make (err, 0, "logger URI %s: malformed escape in its path", uri);
  argv_push (a, path);
  if (q == NULL)
    return 0;
  const char *end = hash && hash > q ? hash : q + strlen (q);
  for (const char *s = q + 1; s < end;)
    {
      const char *amp = memchr (s, '&', (size_t) (end - s));
      const char *e = amp ? amp : end;
      if (e > s)
        {
          const char *eq = memchr (s, '=', (size_t) (e - s));
          char *k = unescape (s, (size_t) ((eq ? eq : e) - s), true);
          char *v = eq ? unescape (eq + 1, (size_t) (e - eq - 1), true) : sc_xstrdup ("");
          if (k == NULL || v == NULL)
            {
              free (k);
              free (v);
              return sc_error_make (err, 0, "logger URI %s: malformed escape in its query", uri);
            }
          bool seen = false;
          for (size_t i = 1; i < a->n; i += 2)
            if (strcmp (a->v[i], k) == 0)
              seen = true;
          if (seen)
            {
              free (k);
              free (v);
            }
          else
            {
              argv_push (a, k);
              argv_push (a, v);
            }
        }
      s = e + 1;
    }
  return 0;
}

static void
stop_waiting (logger *l)
{
  if (l->ready_on)
    sc_watch_stop (&l->ready_w);
  l->ready_on = false;
  sc_timer_stop (&l->ready_timer);
  if (l->ready_fd >= 0)
    close (l->ready_fd);
  l->ready_fd = -1;
}

static void
logger_free (logger *l)
{
  stop_waiting (l);
  sc_timer_stop (&l->term_timer);
  free (l->path);
  free (l);
}

static void
on_exit_cb (pid_t pid, int status, int64_t at_ns, void *data)
{
  (void) pid;
  (void) at_ns;
  logger *l = data;
  l->exited = true;
  if (WIFSIGNALED (status) && !l->termed)
    shim_log ("warning", "logger %s killed by signal %d", l->path, WTERMSIG (status));
  if (l->released)
    logger_free (l);
}

int
logger_start (sc_loop *loop, reaper *reap, const char *uri, const char *id, const char *ns, int w[2],
              logger **out, sc_error *err)
{
  w[0] = w[1] = -1;
  *out = NULL;
  argv_b a = { 0 };
  if (parse_uri (uri, &a, err) < 0)
    {
      argv_free (&a);
      return -1;
    }
  if (access (a.v[0], X_OK) < 0)
    {
      int e = errno;
      sc_error_make (err, e, "logger %s is not an executable file", a.v[0]);
      argv_free (&a);
      return -1;
    }
  int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rdy[2] = { -1, -1 };
  if (pipe2 (outp, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0 || pipe2 (rdy, O_CLOEXEC) < 0)
    {
      int e = errno;
      int all[] = { outp[0], outp[1], errp[0], errp[1], rdy[0], rdy[1] };
      for (size_t i = 0; i < 6; i++)
        if (all[i] >= 0)
          close (all[i]);
      argv_free (&a);
      return sc_error_make (err, e, "logger pipes");
    }
  char *env[3];
  env[0] = sc_xasprintf ("CONTAINER_ID=%s", id);
  env[1] = sc_xasprintf ("CONTAINER_NAMESPACE=%s", ns ? ns : "");
  env[2] = NULL;
  if (fault ("logger-no-env"))
    env[0][0] = env[1][0] = '\0'; /* test build: both variables empty */
  if (fault ("logger-no-args"))
    for (size_t i = 1; i < a.n; i++)
      a.v[i][0] = '\0';
  if (fault ("logger-swap-fds"))
    {
      int x = outp[0];
      outp[0] = errp[0];
      errp[0] = x;
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      int fds[6] = { -1, -1, -1, outp[0], errp[0], rdy[1] };
      if (reaper_child_setup (fds, 6) < 0)
        _exit (127);
      execve (a.v[0], a.v, env);
      _exit (127);
    }
  int e = errno;
  free (env[0]);
  free (env[1]);
  close (outp[0]);
  close (errp[0]);
  close (rdy[1]);
  if (pid < 0)
    {
      close (outp[1]);
      close (errp[1]);
      close (rdy[0]);
      argv_free (&a);
      return sc_error_make (err, e, "fork logger");
    }
  logger *l = sc_xcalloc (1, sizeof (*l));
  l->loop = loop;
  l->reap = reap;
  l->pid = pid;
  l->path = sc_xstrdup (a.v[0]);
  l->v2 = strncmp (uri, "binary-v2://", 12) == 0;
  l->ready_fd = rdy[0];
  fcntl (l->ready_fd, F_SETFL, fcntl (l->ready_fd, F_GETFL) | O_NONBLOCK);
  argv_free (&a);
  reaper_watch (reap, pid, on_exit_cb, l);
  w[0] = outp[1];
  w[1] = errp[1];
  *out = l;
  return 0;
}

static void
ready_done (logger *l, const char *why)
{
  void (*cb) (void *, const char *) = l->ready_cb;
  l->ready_cb = NULL;
  stop_waiting (l);
  if (cb)
    cb (l->ready_data, why);
}

static void
on_ready (sc_watch *w, uint32_t ev)
{
  (void) ev;
  logger *l = w->data;
  char b;
  ssize_t n = read (l->ready_fd, &b, 1);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n == 1 || !l->v2 || fault ("logger-v2-eof-ok"))
    {
      ready_done (l, NULL);
      return;
    }
  cleanup_free char *why = sc_xasprintf ("logger %s closed its readiness fd without writing the byte "
                                         "binary-v2:// requires (it may have exited)",
                                         l->path);
  ready_done (l, why);
}

static void
on_ready_timeout (sc_timer *t)
{
  logger *l = t->data;
  cleanup_free char *why = sc_xasprintf ("logger %s did not signal readiness on fd 5 within %d s", l->path,
                                         (int) (LOGGER_READY_MS / 1000));
  ready_done (l, why);
}

void
logger_when_ready (logger *l, int64_t timeout_ms, void (*cb) (void *data, const char *why), void *data)
{
  l->ready_cb = cb;
  l->ready_data = data;
  if (fault ("logger-no-wait"))
    {
      ready_done (l, NULL); /* test build: the process runs at once */
      return;
    }
  if (sc_watch_start (l->loop, &l->ready_w, l->ready_fd, EPOLLIN, on_ready, l, NULL) < 0)
    {
      ready_done (l, "cannot watch the logger's readiness fd");
      return;
    }
  l->ready_on = true;
  sc_timer_start (l->loop, &l->ready_timer, timeout_ms, on_ready_timeout, l);
}

static void
on_term_timer (sc_timer *t)
{
  logger *l = t->data;
  if (l->exited)
    return;
  if (!l->termed)
    {
      l->termed = true;
      kill (l->pid, SIGTERM);
      sc_timer_start (l->loop, &l->term_timer, LOGGER_KILL_MS, on_term_timer, l);
      return;
    }
  shim_log ("warning", "logger %s ignored SIGTERM for %d s: killed", l->path, LOGGER_KILL_MS / 1000);
  kill (l->pid, SIGKILL);
}

void
logger_release (logger *l)
{
  if (l == NULL)
    return;
  l->released = true;
  l->ready_cb = NULL;
  stop_waiting (l);
  if (l->exited)
    {
      logger_free (l);
      return;
    }
  sc_timer_start (l->loop, &l->term_timer, LOGGER_GRACE_MS, on_term_timer, l);
}
