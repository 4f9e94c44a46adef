/* containerd-shim-ref-v1: SIGCHLD through a signalfd (reaper.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pb.h"
#include "fault.h"
#include "reaper.h"

typedef struct watch
{
  struct watch *next;
  pid_t pid;
  reaper_exit_cb cb;
  void *data;
} watch;

typedef struct early_exit
{
  pid_t pid;
  int status;
  int64_t at_ns;
} early_exit;

#define EARLY_MAX 1024

struct reaper
{
  int sfd;
  sc_watch sig_watch;
  reaper_term_cb on_term;
  void *term_data;
  watch *watches;
  early_exit early[EARLY_MAX];
  size_t nearly;
};

static bool
take_early_exit (reaper *r, pid_t pid, early_exit *out)
{
  for (size_t i = 0; i < r->nearly; i++)
    if (r->early[i].pid == pid)
      {
        *out = r->early[i];
        r->early[i] = r->early[--r->nearly];
        return true;
      }
  return false;
}

void
reaper_watch (reaper *r, pid_t pid, reaper_exit_cb cb, void *data)
{
  early_exit e;
  if (take_early_exit (r, pid, &e) && !fault ("early-exit-lost"))
    {
      cb (pid, e.status, e.at_ns, data);
      return;
    }
  watch *w = sc_xcalloc (1, sizeof (*w));
  w->pid = pid;
  w->cb = cb;
  w->data = data;
  w->next = r->watches;
  r->watches = w;
}

void
reaper_unwatch (reaper *r, pid_t pid)
{
  for (watch **pp = &r->watches; *pp; pp = &(*pp)->next)
    if ((*pp)->pid == pid)
      {
        watch *w = *pp;
        *pp = w->next;
        free (w);
        return;
      }
}

static void
dispatch (reaper *r, pid_t pid, int status)
{
  int64_t now = sc_now_wall_ns ();
  for (watch **pp = &r->watches; *pp; pp = &(*pp)->next)
    if ((*pp)->pid == pid)
      {
        watch *w = *pp;
        *pp = w->next;
        w->cb (pid, status, now, w->data);
        free (w);
        return;
      }
  if (r->nearly == EARLY_MAX)
    {
      memmove (r->early, r->early + 1, (EARLY_MAX - 1) * sizeof (r->early[0]));
      r->nearly--;
    }
  r->early[r->nearly++] = (early_exit){ pid, status, now };
}

static void
on_signal (sc_watch *w, uint32_t events)
{
  reaper *r = w->data;
  struct signalfd_siginfo si;
  bool chld = false;
  while (read (r->sfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    {
      if (si.ssi_signo == SIGCHLD)
        chld = true;
      else if ((si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) && r->on_term)
        r->on_term ((int) si.ssi_signo, r->term_data);
    }
  if (!chld)
    return;
  for (;;)
    {
      int st;
      pid_t pid = waitpid (-1, &st, WNOHANG);
      if (pid <= 0)
        break;
      dispatch (r, pid, st);
    }
}

int
reaper_new (sc_loop *loop, reaper_term_cb on_term, void *data, reaper **out, sc_error *err)
{
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigprocmask (SIG_BLOCK, &set, NULL);
  reaper *r = sc_xcalloc (1, sizeof (*r));
  r->on_term = on_term;
  r->term_data = data;
  r->sfd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (r->sfd < 0)
    {
      free (r);
      return sc_error_make (err, errno, "signalfd");
    }
  if (sc_watch_start (loop, &r->sig_watch, r->sfd, EPOLLIN, on_signal, r, err) < 0)
    {
      close (r->sfd);
      free (r);
      return sc_error_wrap (err, "reaper");
    }
  *out = r;
  return 0;
}

int
reaper_child_setup (const int *fds, int n)
{
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  /* dup to high numbers first so that the targets cannot clobber a source */
  int hi[16];
  if (n > 16)
    return -1;
  for (int i = 0; i < n; i++)
    if ((hi[i] = fcntl (fds[i] >= 0 ? fds[i] : null, F_DUPFD_CLOEXEC, 16)) < 0)
      return -1;
  for (int i = 0; i < n; i++)
    if (dup2 (hi[i], i) < 0)
      return -1;
  return 0;
}
