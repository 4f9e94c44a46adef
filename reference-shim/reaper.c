/* SIGCHLD through a signalfd: every child (runtime CLI calls, and container
 * processes re-parented to us as child subreaper) is reaped here and routed
 * to whoever waits for it.  Exits of pids nobody knows yet (a container that
 * exits before we read its pid file) are kept until claimed. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pb.h"
#include "shim.h"

typedef struct rt_watch
{
  struct rt_watch *next;
  pid_t pid;
  void (*cb) (pid_t, int, void *);
  void *data;
} rt_watch;

typedef struct early_exit
{
  pid_t pid;
  int status;
  int64_t at_ns;
} early_exit;

#define EARLY_MAX 1024

static int sfd = -1;
static sc_watch sig_watch;
static rt_watch *watches;
static early_exit early[EARLY_MAX];
static size_t nearly;

void
reaper_watch_runtime (pid_t pid, void (*cb) (pid_t, int, void *), void *data)
{
  rt_watch *w = sc_xcalloc (1, sizeof (*w));
  w->pid = pid;
  w->cb = cb;
  w->data = data;
  w->next = watches;
  watches = w;
  /* it may already have been reaped before we registered */
  int st;
  int64_t at;
  if (reaper_take_early_exit (pid, &st, &at))
    {
      watches = w->next;
      free (w);
      cb (pid, st, data);
    }
}

bool
reaper_take_early_exit (pid_t pid, int *status, int64_t *at_ns)
{
  for (size_t i = 0; i < nearly; i++)
    if (early[i].pid == pid)
      {
        *status = early[i].status;
        *at_ns = early[i].at_ns;
        early[i] = early[--nearly];
        return true;
      }
  return false;
}

static void
dispatch (pid_t pid, int status)
{
  int64_t now = sc_now_wall_ns ();
  for (rt_watch **pp = &watches; *pp; pp = &(*pp)->next)
    if ((*pp)->pid == pid)
      {
        rt_watch *w = *pp;
        *pp = w->next;
        w->cb (pid, status, w->data);
        free (w);
        return;
      }
  process *p = task_process_by_pid (pid);
  if (p)
    {
      task_process_exited (p, status, now);
      return;
    }
  if (nearly == EARLY_MAX)
    {
      memmove (early, early + 1, (EARLY_MAX - 1) * sizeof (early[0]));
      nearly--;
    }
  early[nearly++] = (early_exit){ pid, status, now };
}

static void
on_signal (sc_watch *w, uint32_t events)
{
  struct signalfd_siginfo si;
  bool chld = false;
  while (read (sfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    {
      if (si.ssi_signo == SIGCHLD)
        chld = true;
      else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
        {
          shim_log ("info", "signal %u: shutting down", si.ssi_signo);
          shim_request_shutdown ();
        }
    }
  if (!chld)
    return;
  for (;;)
    {
      int st;
      pid_t pid = waitpid (-1, &st, WNOHANG);
      if (pid <= 0)
        break;
      dispatch (pid, st);
    }
}

int
reaper_init (char **errmsg)
{
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigprocmask (SIG_BLOCK, &set, NULL);
  sfd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0)
    {
      *errmsg = sc_xasprintf ("signalfd: %s", strerror (errno));
      return -1;
    }
  sc_error err = SC_ERROR_INIT;
  if (sc_watch_start (S.loop, &sig_watch, sfd, EPOLLIN, on_signal, NULL, &err) < 0)
    {
      *errmsg = sc_xstrdup (err.msg);
      sc_error_release (&err);
      return -1;
    }
  return 0;
}
