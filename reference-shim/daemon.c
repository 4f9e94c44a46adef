/* containerd-shim-ref-v1: the serving daemon (daemon.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "events.h"
#include "fault.h"
#include "host_real.h"
#include "log.h"
#include "reaper.h"
#include "service.h"
#include "status.h"

typedef struct daemon_state
{
  sc_loop *loop;
  sc_ttrpc_server *server;
  publisher *pub;
  char *socket_path;
  bool shutting_down;
  sc_timer shutdown_timer;
} daemon_state;

static void
do_shutdown (sc_timer *t)
{
  daemon_state *d = t->data;
  shim_log ("info", "shutting down");
  sc_ttrpc_server_free (d->server); /* stops accepting, unlinks nothing we did not bind */
  d->server = NULL;
  /* the socket goes first: a shim that is shutting down accepts nobody, even
   * while it still flushes events (up to 5 s when containerd is away) */
  if (d->socket_path)
    unlink (d->socket_path);
  publisher_flush (d->pub, 5000);
  if (fault ("socket-left-behind"))
    {
      /* test build: recreate the socket file as a leftover */
      int fd = socket (AF_UNIX, SOCK_STREAM, 0);
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      snprintf (sa.sun_path, sizeof (sa.sun_path), "%s", d->socket_path);
      if (bind (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
        shim_log ("warning", "fault socket-left-behind: bind failed");
    }
  exit (0);
}

static void
request_shutdown (void *data)
{
  daemon_state *d = data;
  if (d->shutting_down)
    return;
  d->shutting_down = true;
  /* after the current reply has been written */
  sc_timer_start (d->loop, &d->shutdown_timer, 0, do_shutdown, d);
}

static void
on_term (int signo, void *data)
{
  shim_log ("info", "signal %d: shutting down", signo);
  request_shutdown (data);
}

/* test build: a shim that does not outlive its client (exit-on-disconnect) */
static void
exit_when_idle (sc_ttrpc_server *srv, void *data)
{
  (void) srv;
  request_shutdown (data);
}

static char *
socket_name_of (int fd)
{
  struct sockaddr_un sa;
  socklen_t len = sizeof (sa);
  if (getsockname (fd, (struct sockaddr *) &sa, &len) < 0 || sa.sun_family != AF_UNIX
      || len <= offsetof (struct sockaddr_un, sun_path) || sa.sun_path[0] == '\0')
    return NULL;
  return sc_xstrndup (sa.sun_path, len - offsetof (struct sockaddr_un, sun_path));
}

/* fault wrong-error-code: every error is Unknown */
static int
unknown_code (int code)
{
  return SC_UNKNOWN;
}

/* logs go to the bundle's log FIFO; never block on it */
static void
log_to_fifo (void)
{
  /* only the FIFO containerd made: never through a symlink, never into a
   * regular file (a planted `log -> /some/file` was overwritten) */
  int log = fault ("log-blocks") /* test build: its own reader, blocking writes */
              ? open ("log", O_RDWR | O_CLOEXEC | O_NOFOLLOW)
              : open ("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (log < 0 && errno == ENXIO)
    log = open ("log", O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (log >= 0 && (fstat (log, &st) < 0 || !S_ISFIFO (st.st_mode)))
    {
      close (log);
      log = -1;
    }
  if (log >= 0)
    {
      dup2 (log, 2);
      close (log);
    }
}

static void
leak_child (void)
{
  /* test build: a process of ours that outlives the shim */
  pid_t leak = fork ();
  if (leak == 0)
    {
      setsid ();
      execl ("/bin/sleep", "sleep", "3600", (char *) NULL);
      _exit (127);
    }
}

int
serve (const shim_flags *f)
{
  daemon_state d = { 0 };
  shim_logging.ns = f->ns;
  shim_logging.id = f->id;
  signal (SIGPIPE, fault ("fifo-wronly-sigpipe") ? SIG_DFL : SIG_IGN);
  log_to_fifo ();
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    shim_log ("warning", "cannot become a child subreaper: %s", strerror (errno));

  sc_error err = SC_ERROR_INIT;
  reaper *reap = NULL;
  if (sc_loop_new (&d.loop, &err) < 0 || reaper_new (d.loop, on_term, &d, &reap, &err) < 0)
    {
      shim_log ("error", "serve: %s", err.msg);
      return 1;
    }
  d.server = sc_ttrpc_server_new (d.loop);
  /* containerd holds one connection per shim; tools add a few */
  sc_ttrpc_server_set_max_connections (d.server, REFSHIM_MAX_CONNECTIONS);
  if (fault ("wrong-error-code"))
    sc_ttrpc_server_set_status_filter (d.server, unknown_code);
  if (fault ("raw-messages"))
    sc_ttrpc_server_set_raw_messages (d.server, true);
  if (fault ("exit-on-disconnect"))
    sc_ttrpc_server_on_idle (d.server, exit_when_idle, &d);
#ifdef REFSHIM_FAULTS
  sc_ttrpc_server_set_reply_filter (d.server, fault_reply_filter);
#endif
  d.pub = publisher_new (d.loop, getenv ("TTRPC_ADDRESS"), f->ns);
  shim_host *host = real_host_new (d.loop, reap, d.pub, f->ns, request_shutdown, &d);
  task_service *svc = task_service_new (d.loop, host, f->ns);
  task_service_register (svc, d.server);
  int rc;
  if (f->socket && *f->socket)
    {
      rc = sc_ttrpc_server_listen (d.server, f->socket, 0600, &err);
      d.socket_path = sc_xstrdup (strncmp (f->socket, "unix://", 7) == 0 ? f->socket + 7 : f->socket);
    }
  else
    {
      d.socket_path = socket_name_of (3);
      rc = sc_ttrpc_server_adopt_listener (d.server, 3, &err);
    }
  if (rc < 0)
    {
      shim_log ("error", "serve: %s", err.msg);
      return 1;
    }
  if (fault ("leak-child"))
    leak_child ();
  shim_log ("info", "serving on %s", d.socket_path ? d.socket_path : "fd 3");
  sc_loop_run (d.loop);
  return 0;
}
