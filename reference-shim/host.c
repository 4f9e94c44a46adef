/* containerd-shim-ref-v1: the real host behind the task service (host.h):
 * runtime.c, procio.c, reaper.c and events.c, plus rootfs mounts and bundle
 * files. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "fault.h"
#include "host_real.h"
#include "log.h"
#include "oom.h"
#include "containerd/events/task.pb-c.h"
#include "oci_spec.h"
#include "proc.h"
#include "procio.h"
#include "runtime.h"

static unsigned long
mount_flag (const char *o, bool *clear, bool *known)
{
  static const struct
  {
    const char *name;
    unsigned long flag;
    bool clear;
  } t[] = {
    { "ro", MS_RDONLY, false },        { "rw", MS_RDONLY, true },
    { "bind", MS_BIND, false },        { "rbind", MS_BIND | MS_REC, false },
    { "nosuid", MS_NOSUID, false },    { "suid", MS_NOSUID, true },
    { "nodev", MS_NODEV, false },      { "dev", MS_NODEV, true },
    { "noexec", MS_NOEXEC, false },    { "exec", MS_NOEXEC, true },
    { "sync", MS_SYNCHRONOUS, false }, { "async", MS_SYNCHRONOUS, true },
    { "dirsync", MS_DIRSYNC, false },  { "noatime", MS_NOATIME, false },
    { "atime", MS_NOATIME, true },     { "nodiratime", MS_NODIRATIME, false },
    { "relatime", MS_RELATIME, false }, { "strictatime", MS_STRICTATIME, false },
    { "defaults", 0, false },
  };
  for (size_t i = 0; i < sizeof (t) / sizeof (t[0]); i++)
    if (strcmp (o, t[i].name) == 0)
      {
        *clear = t[i].clear;
        *known = true;
        return t[i].flag;
      }
  *known = false;
  return 0;
}

/* mount(2) takes at most a page of options.  An overlay's lowerdir list
 * (one directory per image layer) can be longer: then the lower
 * directories are named relative to their common parent's parent (the
 * snapshots directory) and the mount is made from there, as containerd's
 * own mount package does (v1.7.24 mount/mount_linux.go). */
static int
mount_one (const char *source, const char *target, const char *type, unsigned long flags,
           const char *data, const char *lower, sc_error *err)
{
  size_t page = (size_t) sysconf (_SC_PAGESIZE);
  cleanup_free char *opts = lower ? sc_xasprintf ("%s%slowerdir=%s", data, *data ? "," : "", lower)
                                  : sc_xstrdup (data);
  const char *dir = NULL;
  cleanup_free char *common = NULL, *rel = NULL;
  if (lower && strlen (opts) >= page - 512 && strchr (lower, ':') && lower[0] == '/' && !fault ("no-lowerdir-compaction"))
    {
      /* the longest common prefix of the lower directories, cut back to
       * the directory it is in (".../snapshots/1" of 1/fs and 12/fs, or
       * ".../snapshots/" of 3/fs and 4/fs: ".../snapshots") */
      size_t cp = strcspn (lower, ":");
      for (const char *d = lower; *d;)
        {
          size_t len = strcspn (d, ":"), k = 0;
          while (k < cp && k < len && d[k] == lower[k])
            k++;
          cp = k;
          d += len + (d[len] == ':');
        }
      common = sc_xstrndup (lower, cp);
      char *slash = strrchr (common, '/');
      if (slash && slash != common)
        {
          *slash = '\0';
          size_t cl = strlen (common) + 1;
          size_t rl = 0;
          rel = sc_xmalloc (strlen (lower) + 1);
          for (const char *d = lower; *d;)
            {
              size_t len = strcspn (d, ":");
              rl += (size_t) sprintf (rel + rl, "%s%.*s", rl ? ":" : "", (int) (len - cl), d + cl);
              d += len + (d[len] == ':');
            }
          free (opts);
          opts = sc_xasprintf ("%s%slowerdir=%s", data, *data ? "," : "", rel);
          dir = common;
        }
    }
  if (strlen (opts) >= page)
    return sc_error_make (err, E2BIG, "options of %zu bytes (more than a page)", strlen (opts));
  int here = -1;
  if (dir && ((here = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || chdir (dir) < 0))
    {
      int e = errno;
      if (here >= 0)
        close (here);
      return sc_error_make (err, e, "chdir %s", dir);
    }
  int rc = mount (source, target, type, flags, *opts ? opts : NULL);
  int e = errno;
  if (here >= 0)
    {
      if (fchdir (here) < 0)
        shim_log ("warning", "cannot return to the working directory: %s", strerror (errno));
      close (here);
    }
  return rc < 0 ? sc_error_make (err, e, "mount") : 0;
}

/* an O_PATH fd on the directory TARGET inside ROOT, resolved as if ROOT
 * were / (so a symlink in the rootfs, which the image or the container
 * owns, cannot lead out of it) */
static int
open_in_root (const char *root, const char *target, sc_error *err)
{
  int rfd = open (root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rfd < 0)
    return sc_error_make (err, errno, "open %s", root);
  struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = (int) syscall (SYS_openat2, rfd, target, &how, sizeof (how));
  int e = errno;
  close (rfd);
  if (fd < 0)
    return sc_error_make (err, e, "target %s inside %s", target, root);
  return fd;
}

static int
real_mount_rootfs (shim_host *h, container *c, Containerd__Types__Mount **mounts, size_t n,
                   sc_error *err)
{
  if (n == 0)
    return 0;
  char *target = sc_xasprintf ("%s/rootfs", c->bundle);
  mkdir (target, 0711);
  /* mount(2) follows symlinks: a rootfs planted as a symlink would mount
   * (and later unmount) outside the bundle */
  struct stat st;
  int lrc = lstat (target, &st);
  if (lrc < 0 || !S_ISDIR (st.st_mode))
    {
      int rc = sc_error_make (err, lrc < 0 ? errno : ENOTDIR, "%s: not a directory of the bundle", target);
      free (target);
      return rc;
    }
  int rc = 0;
  c->mount_targets = sc_xcalloc (n, sizeof (char *));
  for (size_t i = 0; i < n && rc == 0; i++)
    {
      Containerd__Types__Mount *m = mounts[i];
      /* a target is a directory inside what the mounts before made */
      bool sub = m->target && *m->target && strspn (m->target, "/") != strlen (m->target)
                 && !fault ("mount-target-ignored");
      int tfd = -1;
      if (sub && fault ("mount-target-follows-symlink"))
        {
          /* test build: the target joined as a plain path, symlinks followed */
          char *joined = sc_xasprintf ("%s/%s", target, m->target);
          tfd = open (joined, O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (tfd < 0)
            sc_error_make (err, errno, "%s", joined);
          free (joined);
        }
      else if (sub)
        tfd = open_in_root (target, m->target, err);
      if (sub && tfd < 0)
        {
          rc = sc_error_wrap (err, "mount %s (%s)", m->source, m->type);
          break;
        }
      char at[64];
      snprintf (at, sizeof (at), "/proc/self/fd/%d", tfd);
      const char *where = sub ? at : target;
      unsigned long flags = 0;
      const char *lower = NULL;
      size_t dl = 0;
      for (size_t k = 0; k < m->n_options; k++)
        dl += strlen (m->options[k]) + 1;
      cleanup_free char *data = sc_xmalloc (dl + 1);
      dl = 0;
      data[0] = '\0';
      for (size_t k = 0; k < m->n_options; k++)
        {
          bool clear, known;
          unsigned long f = mount_flag (m->options[k], &clear, &known);
          if (known)
            flags = clear ? flags & ~f : flags | f;
          else if (strncmp (m->options[k], "lowerdir=", 9) == 0 && lower == NULL)
            lower = m->options[k] + 9; /* last, below: it may be made shorter */
          else
            dl += (size_t) sprintf (data + dl, "%s%s", dl ? "," : "", m->options[k]);
        }
      const char *type = (flags & MS_BIND) ? NULL : m->type;
      if (fault ("overlay-readonly") && type && strcmp (type, "overlay") == 0)
        flags |= MS_RDONLY; /* test build: the writable layer is not */
      if (mount_one (m->source, where, type, flags, data, lower, err) < 0)
        {
          rc = sc_error_wrap (err, "mount %s (%s) on %s%s", m->source, m->type, target,
                              sub ? m->target : "");
          if (tfd >= 0)
            close (tfd);
          break;
        }
      c->mount_targets[c->mounts++] = sc_xstrdup (sub ? m->target : "");
      if ((flags & MS_BIND) && (flags & MS_RDONLY))
        mount (NULL, where, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
      if (tfd >= 0)
        close (tfd);
    }
  free (target);
  return rc;
}

static void
real_unmount_rootfs (shim_host *h, container *c)
{
  if (fault ("no-unmount"))
    return;
  char *target = sc_xasprintf ("%s/rootfs", c->bundle);
  /* the last made first; a target is resolved again inside the rootfs
   * (the container may have changed what its path leads to meanwhile) */
  for (; c->mounts > 0; c->mounts--)
    {
      const char *sub = c->mount_targets ? c->mount_targets[c->mounts - 1] : "";
      sc_error err = SC_ERROR_INIT;
      int rc;
      if (*sub)
        {
          int fd = open_in_root (target, sub, &err);
          char at[64];
          snprintf (at, sizeof (at), "/proc/self/fd/%d", fd);
          rc = fd < 0 ? -1 : umount2 (at, MNT_DETACH);
          if (fd >= 0)
            close (fd);
        }
      else
        rc = umount2 (target, MNT_DETACH | UMOUNT_NOFOLLOW);
      if (rc < 0)
        shim_log ("warning", "unmount %s%s: %s", target, sub, err.msg ? err.msg : strerror (errno));
      sc_error_release (&err);
      if (c->mount_targets)
        free (c->mount_targets[c->mounts - 1]);
    }
  free (c->mount_targets);
  c->mount_targets = NULL;
  c->mounts = 0;
  free (target);
}

typedef struct real_host
{
  shim_host base;
  sc_loop *loop;
  reaper *reaper;
  publisher *pub;
  stdio_env stdio;
  void (*shutdown) (void *data);
  void *shutdown_data;
} real_host;

#define REAL(h) ((real_host *) (h))

static int
real_read_pid (shim_host *h, const char *path, pid_t *pid, sc_error *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sc_error_make (err, errno, "read pid file %s", path);
  char buf[32] = "";
  ssize_t n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  long v = n > 0 ? strtol (buf, NULL, 10) : 0;
  if (v <= 0)
    return sc_error_make (err, 0, "pid file %s holds no pid", path);
  *pid = (pid_t) v;
  return 0;
}

static int
real_write_file (shim_host *h, const char *path, const char *text, sc_error *err)
{
  FILE *f = fopen (path, "we");
  if (f == NULL)
    return sc_error_make (err, errno, "write %s", path);
  fputs (text, f);
  if (fclose (f) != 0)
    return sc_error_make (err, errno, "write %s", path);
  return 0;
}

static int
real_find_runtime (shim_host *h, const char *name, char **path, sc_error *err)
{
  *path = sc_find_executable (name);
  if (*path == NULL)
    return sc_error_make (err, ENOENT, "runtime binary \"%s\"", name);
  return 0;
}

static int
real_stat_bundle (shim_host *h, const char *path, sc_error *err)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return sc_error_make (err, errno ? errno : ENOENT, "bundle %s", path);
  if (!S_ISDIR (st.st_mode))
    return sc_error_make (err, ENOTDIR, "bundle %s", path);
  return 0;
}

static int
real_read_spec (shim_host *h, const char *path, json_t **spec, sc_error *err)
{
  return sc_oci_read (path, spec, err);
}

static void
real_remove_file (shim_host *h, const char *path)
{
  unlink (path);
}

static int
real_kill (shim_host *h, pid_t pid, int sig, sc_error *err)
{
  if (kill (pid, sig) < 0)
    return sc_error_make (err, errno, "kill %d", (int) pid);
  return 0;
}

static int
real_rt_run (shim_host *h, container *c, const char *const *args, const int *child_stdio,
             const char *stdin_data, rt_cb cb, void *data, sc_error *err)
{
  return rt_run (REAL (h)->loop, REAL (h)->reaper, c, args, child_stdio, stdin_data, cb, data, err);
}

static void
real_watch_exit (shim_host *h, pid_t pid, exit_cb cb, void *data)
{
  reaper_watch (REAL (h)->reaper, pid, cb, data);
}

static void
real_unwatch_exit (shim_host *h, pid_t pid)
{
  reaper_unwatch (REAL (h)->reaper, pid);
}

static int
real_stdio_prepare (shim_host *h, process *p, int child_fds[3], char **console_path, sc_error *err)
{
  return stdio_prepare (&REAL (h)->stdio, p, child_fds, console_path, err);
}

static void
real_stdio_when_ready (shim_host *h, process *p, void (*cb) (void *, const char *), void *data)
{
  stdio_when_ready (p, cb, data);
}

static int
real_stdio_start (shim_host *h, process *p, sc_error *err)
{
  return stdio_start (p, err);
}

static void
real_stdio_close_stdin (shim_host *h, process *p)
{
  stdio_close_stdin (p);
}

static int
real_stdio_resize (shim_host *h, process *p, uint32_t width, uint32_t height, sc_error *err)
{
  return stdio_resize (p, width, height, err);
}

static void
real_stdio_when_drained (shim_host *h, process *p, int64_t timeout_ms, void (*cb) (void *),
                         void *data)
{
  stdio_when_drained (p, timeout_ms, cb, data);
}

static void
real_stdio_free (shim_host *h, process *p)
{
  stdio_free (p);
}

static void
real_publish (shim_host *h, const char *topic, const ProtobufCMessage *event)
{
  publisher_publish (REAL (h)->pub, topic, event);
}

typedef struct oom_target
{
  shim_host *h;
  container *c;
} oom_target;

static void
oom_seen (void *data)
{
  oom_target *t = data;
  Containerd__Events__TaskOOM e = CONTAINERD__EVENTS__TASK_OOM__INIT;
  e.container_id = t->c->id;
  shim_log ("info", "container %s: OOM kill in its memory cgroup", t->c->id);
  publisher_publish (REAL (t->h)->pub, "/tasks/oom", &e.base);
}

typedef struct oom_state
{
  oom_target target;
  oom_watch *w;
} oom_state;

static void
real_watch_oom (shim_host *h, container *c, pid_t pid)
{
  if (c->oom)
    return;
  oom_state *st = sc_xcalloc (1, sizeof (*st));
  st->target = (oom_target){ h, c };
  sc_error err = SC_ERROR_INIT;
  if (oom_watch_new (REAL (h)->loop, pid, oom_seen, &st->target, &st->w, &err) < 0)
    {
      /* as the runc shim: the task runs, only its OOM kills go unreported */
      shim_log ("warning", "container %s: no OOM events: %s", c->id, err.msg);
      sc_error_release (&err);
      free (st);
      return;
    }
  c->oom = st;
}

static void
real_oom_poll (shim_host *h, container *c)
{
  if (c->oom)
    oom_watch_poll (((oom_state *) c->oom)->w);
}

static void
real_unwatch_oom (shim_host *h, container *c)
{
  oom_state *st = c->oom;
  if (st == NULL)
    return;
  oom_watch_free (st->w);
  free (st);
  c->oom = NULL;
}

static bool
real_cgroup_unified (shim_host *h)
{
  (void) h;
  return sc_cgroup_unified ();
}

static int
real_memory_events (shim_host *h, container *c, uint64_t out[5])
{
  (void) h;
  oom_state *st = c->oom;
  return st ? oom_watch_memory_events (st->w, out) : -1;
}

static void
real_request_shutdown (shim_host *h)
{
  REAL (h)->shutdown (REAL (h)->shutdown_data);
}

static const shim_host_ops real_ops = {
  .rt_run = real_rt_run,
  .find_runtime = real_find_runtime,
  .kill = real_kill,
  .watch_exit = real_watch_exit,
  .unwatch_exit = real_unwatch_exit,
  .mount_rootfs = real_mount_rootfs,
  .unmount_rootfs = real_unmount_rootfs,
  .stat_bundle = real_stat_bundle,
  .read_spec = real_read_spec,
  .write_file = real_write_file,
  .read_pid = real_read_pid,
  .remove_file = real_remove_file,
  .stdio_prepare = real_stdio_prepare,
  .stdio_when_ready = real_stdio_when_ready,
  .stdio_start = real_stdio_start,
  .stdio_close_stdin = real_stdio_close_stdin,
  .stdio_resize = real_stdio_resize,
  .stdio_when_drained = real_stdio_when_drained,
  .stdio_free = real_stdio_free,
  .publish = real_publish,
  .watch_oom = real_watch_oom,
  .oom_poll = real_oom_poll,
  .unwatch_oom = real_unwatch_oom,
  .cgroup_unified = real_cgroup_unified,
  .memory_events = real_memory_events,
  .request_shutdown = real_request_shutdown,
};

shim_host *
real_host_new (sc_loop *loop, reaper *reap, publisher *pub, const char *ns,
               void (*shutdown) (void *data), void *data)
{
  real_host *h = sc_xcalloc (1, sizeof (*h));
  h->base.ops = &real_ops;
  h->loop = loop;
  h->reaper = reap;
  h->pub = pub;
  h->stdio.loop = loop;
  h->stdio.reaper = reap;
  h->stdio.ns = ns;
  h->shutdown = shutdown;
  h->shutdown_data = data;
  return &h->base;
}
