/* containerd-shim-ref-v1: OOM kills of a container (oom.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "oom.h"
#include "proc.h"

struct oom_watch
{
  sc_loop *loop;
  int wake_fd;       /* v1: the eventfd; v2: the inotify fd */
  int counter_fd;    /* memory.oom_control (v1) or memory.events (v2), read with pread */
  bool v2;
  sc_watch w;
  sc_timer late;     /* fault oom-after-exit only */
  unsigned long long kills; /* the oom_kill count already reported */
  void (*cb) (void *data);
  void *data;
};

/* the values of KEYS (n of them) in a "key value" per line counter file,
 * 0 for a key it lacks; < 0 when it cannot be read (the cgroup is gone) */
static int
read_counters (int fd, const char *const *keys, int n, unsigned long long *out)
{
  char buf[1024];
  ssize_t len = pread (fd, buf, sizeof (buf) - 1, 0);
  if (len <= 0)
    return -1;
  buf[len] = '\0';
  memset (out, 0, (size_t) n * sizeof (*out));
  for (char *line = buf; line && *line;)
    {
      for (int k = 0; k < n; k++)
        {
          size_t kl = strlen (keys[k]);
          if (strncmp (line, keys[k], kl) == 0 && line[kl] == ' ')
            out[k] = strtoull (line + kl + 1, NULL, 10);
        }
      char *nl = strchr (line, '\n');
      line = nl ? nl + 1 : NULL;
    }
  return 0;
}

/* "oom_kill N" from the counter file (memory.oom_control or memory.events) */
static long long
read_kills (int fd)
{
  static const char *const key[] = { "oom_kill" };
  unsigned long long k;
  return read_counters (fd, key, 1, &k) < 0 ? -1 : (long long) k;
}

static bool
deliver (oom_watch *w)
{
  long long k = read_kills (w->counter_fd);
  if (k < 0 || (unsigned long long) k <= w->kills)
    return false;
  w->kills = (unsigned long long) k;
  w->cb (w->data);
  return true;
}

int
oom_watch_memory_events (oom_watch *w, uint64_t out[5])
{
  if (w == NULL || !w->v2)
    return -1;
  static const char *const keys[5] = { "low", "high", "max", "oom", "oom_kill" };
  unsigned long long v[5];
  if (read_counters (w->counter_fd, keys, 5, v) < 0)
    return -1;
  for (int k = 0; k < 5; k++)
    out[k] = v[k];
  return 0;
}

bool
oom_watch_poll (oom_watch *w)
{
  if (w == NULL || fault ("oom-after-exit"))
    return false;
  return deliver (w);
}

static void
late (sc_timer *t)
{
  deliver (t->data);
}

static void
woken (sc_watch *sw, uint32_t events)
{
  oom_watch *w = sw->data;
  char buf[4096];
  while (read (w->wake_fd, buf, sizeof (buf)) > 0)
    ; /* drain the eventfd counter / inotify events */
  if (fault ("oom-after-exit"))
    {
      w->late.data = w;
      sc_timer_start (w->loop, &w->late, 300, late, w);
      return;
    }
  deliver (w);
}

int
oom_watch_new (sc_loop *loop, pid_t pid, void (*cb) (void *data), void *data, oom_watch **out,
               sc_error *err)
{
  *out = NULL;
  bool v2 = false;
  char *dir = sc_proc_memory_cgroup (pid, &v2, err);
  if (dir == NULL)
    return -1;
  oom_watch *w = sc_xcalloc (1, sizeof (*w));
  w->loop = loop;
  w->cb = cb;
  w->data = data;
  w->wake_fd = w->counter_fd = -1;
  w->v2 = v2;
  char *counter = sc_xasprintf ("%s/%s", dir, v2 ? "memory.events" : "memory.oom_control");
  int rc = 0;
  w->counter_fd = open (counter, O_RDONLY | O_CLOEXEC);
  if (w->counter_fd < 0)
    rc = sc_error_make (err, errno, "open %s", counter);
  else if (v2)
    {
      w->wake_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
      if (w->wake_fd < 0 || inotify_add_watch (w->wake_fd, counter, IN_MODIFY) < 0)
        rc = sc_error_make (err, errno, "inotify on %s", counter);
    }
  else
    {
      w->wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
      char *ctl = sc_xasprintf ("%s/cgroup.event_control", dir);
      int cfd = w->wake_fd >= 0 ? open (ctl, O_WRONLY | O_CLOEXEC) : -1;
      char reg[64];
      int n = snprintf (reg, sizeof (reg), "%d %d", w->wake_fd, w->counter_fd);
      if (cfd < 0 || write (cfd, reg, (size_t) n) != n)
        rc = sc_error_make (err, errno, "register an OOM eventfd in %s", ctl);
      if (cfd >= 0)
        close (cfd);
      free (ctl);
    }
  if (rc == 0)
    {
      long long k = read_kills (w->counter_fd);
      w->kills = k > 0 ? (unsigned long long) k : 0;
      rc = sc_watch_start (loop, &w->w, w->wake_fd, EPOLLIN, woken, w, err);
    }
  free (counter);
  free (dir);
  if (rc < 0)
    {
      oom_watch_free (w);
      return -1;
    }
  *out = w;
  return 0;
}

void
oom_watch_free (oom_watch *w)
{
  if (w == NULL)
    return;
  if (w->w.active)
    sc_watch_stop (&w->w);
  if (w->late.active)
    sc_timer_stop (&w->late);
  if (w->wake_fd >= 0)
    close (w->wake_fd);
  if (w->counter_fd >= 0)
    close (w->counter_fd);
  free (w);
}
