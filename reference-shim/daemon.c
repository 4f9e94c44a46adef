/* The serving daemon: one epoll loop with the ttrpc server, the reaper, the
 * event publisher and stdio copies.  Also the container/process registry and
 * the per-container job queue that serializes runtime operations. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host.h"
#include "shim.h"

shim S;

bool
valid_id (const char *id, char **why)
{
  /* containerd identifiers: [A-Za-z0-9]+([._-][A-Za-z0-9]+)*, <= 76 chars */
  size_t n = id ? strlen (id) : 0;
  if (n == 0)
    {
      *why = sc_xstrdup ("identifier must not be empty");
      return false;
    }
  if (n > REFSHIM_MAX_ID || (fault ("id-limit-32") && n > 32))
    {
      *why = sc_xasprintf ("identifier \"%.20s...\" is longer than %d characters", id, REFSHIM_MAX_ID);
      return false;
    }
  bool prev_sep = true; /* no leading separator */
  for (size_t i = 0; i < n; i++)
    {
      char ch = id[i];
      bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      bool sep = ch == '.' || ch == '_' || ch == '-';
      if (!alnum && !(sep && !prev_sep))
        {
          *why = sc_xasprintf ("identifier \"%s\" must match [A-Za-z0-9]+([._-][A-Za-z0-9]+)*", id);
          return false;
        }
      prev_sep = sep;
    }
  if (prev_sep)
    {
      *why = sc_xasprintf ("identifier \"%s\" must not end with a separator", id);
      return false;
    }
  return true;
}

container *
container_find (const char *id)
{
  for (container *c = S.containers; c; c = c->next)
    if (strcmp (c->id, id) == 0)
      return c;
  return NULL;
}

process *
process_find (container *c, const char *exec_id)
{
  if (exec_id == NULL || *exec_id == '\0')
    return c->init;
  for (process *p = c->execs; p; p = p->next)
    if (strcmp (p->id, exec_id) == 0)
      return p;
  return NULL;
}

void
process_free (process *p)
{
  if (p == NULL)
    return;
  H->stdio_free (p);
  for (size_t i = 0; i < p->nwaiters; i++)
    sc_ttrpc_call_error (p->waiters[i], SC_NOT_FOUND, "process %s was deleted", p->id);
  free (p->waiters);
  free (p->id);
  free (p->in);
  free (p->out);
  free (p->err);
  json_decref (p->spec);
  free (p);
}

void
container_free (container *c)
{
  while (c->execs)
    {
      process *p = c->execs;
      c->execs = p->next;
      process_free (p);
    }
  process_free (c->init);
  free (c->id);
  free (c->bundle);
  free (c->runtime);
  free (c->root);
  free (c);
}

/* --- jobs --- */

static void
job_cancelled (sc_ttrpc_call *call, void *data)
{
  job *j = data;
  j->call = NULL; /* finish the operation anyway; just do not reply */
}

job *
job_new (container *c, sc_ttrpc_call *call, void *req, void (*run) (job *))
{
  job *j = sc_xcalloc (1, sizeof (*j));
  j->c = c;
  j->call = call;
  j->req = req;
  j->run = run;
  if (call)
    sc_ttrpc_call_set_cancel (call, job_cancelled, j);
  return j;
}

static void
kick (container *c)
{
  if (c->job_running || c->jobs == NULL)
    return;
  c->job_running = true;
  c->jobs->run (c->jobs);
}

void
job_enqueue (job *j)
{
  job **pp = &j->c->jobs;
  while (*pp)
    pp = &(*pp)->next;
  *pp = j;
  kick (j->c);
}

/* what a job owns: its request and, if owned, its extra */
static void
job_free (job *j)
{
  if (j->req)
    protobuf_c_message_free_unpacked (j->req, NULL);
  if (j->extra_free)
    j->extra_free (j->extra);
  free (j);
}

void
job_done (job *j)
{
  container *c = j->c;
  if (c->jobs == j)
    c->jobs = j->next;
  c->job_running = false;
  if (j->call)
    sc_ttrpc_call_set_cancel (j->call, NULL, NULL);
  job_free (j);
  kick (c);
}

void
container_drop (job *j)
{
  container *c = j->c;
  job *rest = j->next;
  c->jobs = NULL;
  job_free (j);
  /* queued jobs behind the last one answer NotFound (and free what they own:
   * a queued Update's resources once leaked here; found by task_dispatch) */
  while (rest)
    {
      job *n = rest->next;
      if (rest->call)
        sc_ttrpc_call_error (rest->call, SC_NOT_FOUND, "container not created: not found");
      job_free (rest);
      rest = n;
    }
  for (container **pp = &S.containers; *pp; pp = &(*pp)->next)
    if (*pp == c)
      {
        *pp = c->next;
        break;
      }
  container_free (c);
}

/* --- lifecycle --- */

static sc_timer shutdown_timer;

static void
do_shutdown (sc_timer *t)
{
  shim_log ("info", "shutting down");
  sc_ttrpc_server_free (S.server); /* stops accepting, unlinks nothing we did not bind */
  S.server = NULL;
  /* the socket goes first: a shim that is shutting down accepts nobody, even
   * while it still flushes events (up to 5 s when containerd is away) */
  if (S.socket_path)
    unlink (S.socket_path);
  events_flush (5000);
  if (fault ("socket-left-behind"))
    {
      /* test build: recreate the socket file as a leftover */
      int fd = socket (AF_UNIX, SOCK_STREAM, 0);
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      snprintf (sa.sun_path, sizeof (sa.sun_path), "%s", S.socket_path);
      if (bind (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
        shim_log ("warning", "fault socket-left-behind: bind failed");
    }
  exit (0);
}

void
shim_request_shutdown (void)
{
  if (S.shutting_down)
    return;
  S.shutting_down = true;
  /* after the current reply has been written */
  sc_timer_start (S.loop, &shutdown_timer, 0, do_shutdown, NULL);
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

int
serve (const shim_flags *f)
{
  memset (&S, 0, sizeof (S));
  S.ns = f->ns;
  S.id = f->id;
  S.address = f->address;
  signal (SIGPIPE, SIG_IGN);

  /* logs go to the bundle's log FIFO; never block on it */
  int log = open ("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (log < 0 && errno == ENXIO)
    log = open ("log", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (log >= 0)
    {
      dup2 (log, 2);
      close (log);
    }

  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    shim_log ("warning", "cannot become a child subreaper: %s", strerror (errno));

  sc_error err = SC_ERROR_INIT;
  if (sc_loop_new (&S.loop, &err) < 0)
    {
      shim_log ("error", "%s", err.msg);
      return 1;
    }
  char *errmsg = NULL;
  if (reaper_init (&errmsg) < 0)
    {
      shim_log ("error", "reaper: %s", errmsg);
      return 1;
    }
  S.server = sc_ttrpc_server_new (S.loop);
  if (fault ("wrong-error-code"))
    sc_ttrpc_server_set_status_filter (S.server, unknown_code);
  if (fault ("raw-messages"))
    sc_ttrpc_server_set_raw_messages (S.server, true);
  task_register (S.server);
  int rc;
  if (f->socket && *f->socket)
    {
      rc = sc_ttrpc_server_listen (S.server, f->socket, 0600, &err);
      S.socket_path = sc_xstrdup (strncmp (f->socket, "unix://", 7) == 0 ? f->socket + 7 : f->socket);
    }
  else
    {
      S.socket_path = socket_name_of (3);
      rc = sc_ttrpc_server_adopt_listener (S.server, 3, &err);
    }
  if (rc < 0)
    {
      shim_log ("error", "serve: %s", err.msg);
      return 1;
    }
  if (fault ("leak-child"))
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
  const char *ttrpc = getenv ("TTRPC_ADDRESS");
  events_init (ttrpc, S.ns);
  shim_log ("info", "serving on %s", S.socket_path ? S.socket_path : "fd 3");
  sc_loop_run (S.loop);
  return 0;
}
