/* containerd-shim-ref-v1: the real host behind the task service (host.h):
 * runtime.c, stdio.c, reaper.c and events.c, plus rootfs mounts and bundle
 * files. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "oci_spec.h"
#include "proc.h"

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

static int
real_mount_rootfs (container *c, Containerd__Types__Mount **mounts, size_t n, char **errmsg)
{
  if (n == 0)
    return 0;
  char *target = sc_xasprintf ("%s/rootfs", c->bundle);
  mkdir (target, 0711);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    {
      Containerd__Types__Mount *m = mounts[i];
      unsigned long flags = 0;
      char data[4096] = "";
      size_t dl = 0;
      for (size_t k = 0; k < m->n_options; k++)
        {
          bool clear, known;
          unsigned long f = mount_flag (m->options[k], &clear, &known);
          if (known)
            flags = clear ? flags & ~f : flags | f;
          else if (dl + strlen (m->options[k]) + 2 < sizeof (data))
            dl += (size_t) snprintf (data + dl, sizeof (data) - dl, "%s%s", dl ? "," : "",
                                     m->options[k]);
          else
            {
              *errmsg = sc_xasprintf ("mount %zu: options too long", i);
              rc = -1;
            }
        }
      if (rc < 0)
        break;
      const char *type = (flags & MS_BIND) ? NULL : m->type;
      if (mount (m->source, target, type, flags, dl ? data : NULL) < 0)
        {
          *errmsg = sc_xasprintf ("mount %s (%s) on %s: %s", m->source, m->type, target,
                                  strerror (errno));
          rc = -1;
          break;
        }
      c->mounts++;
      if ((flags & MS_BIND) && (flags & MS_RDONLY))
        mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
    }
  free (target);
  return rc;
}

static void
real_unmount_rootfs (container *c)
{
  if (fault ("no-unmount"))
    return;
  char *target = sc_xasprintf ("%s/rootfs", c->bundle);
  for (; c->mounts > 0; c->mounts--)
    if (umount2 (target, MNT_DETACH) < 0)
      {
        shim_log ("warning", "unmount %s: %s", target, strerror (errno));
        break;
      }
  c->mounts = 0;
  free (target);
}

static char *
real_read_pid (const char *path, pid_t *pid)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sc_xasprintf ("read pid file %s: %s", path, strerror (errno));
  char buf[32] = "";
  ssize_t n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  long v = n > 0 ? strtol (buf, NULL, 10) : 0;
  if (v <= 0)
    return sc_xasprintf ("pid file %s holds no pid", path);
  *pid = (pid_t) v;
  return NULL;
}

static int
real_write_file (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    return -1;
  fputs (text, f);
  return fclose (f);
}

static char *
real_find_runtime (const char *name)
{
  return sc_find_executable (name);
}

static int
real_stat_bundle (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return errno ? errno : ENOENT;
  return S_ISDIR (st.st_mode) ? 0 : ENOTDIR;
}

static void
real_remove_file (const char *path)
{
  unlink (path);
}

const shim_host host_real = {
  .rt_run = rt_run,
  .find_runtime = real_find_runtime,
  .kill = kill,
  .take_early_exit = reaper_take_early_exit,
  .mount_rootfs = real_mount_rootfs,
  .unmount_rootfs = real_unmount_rootfs,
  .stat_bundle = real_stat_bundle,
  .read_spec = sc_oci_read,
  .write_file = real_write_file,
  .read_pid = real_read_pid,
  .remove_file = real_remove_file,
  .stdio_prepare = stdio_prepare,
  .stdio_start = stdio_start,
  .stdio_close_stdin = stdio_close_stdin,
  .stdio_resize = stdio_resize,
  .stdio_when_drained = stdio_when_drained,
  .stdio_free = stdio_free,
  .publish = events_publish,
  .request_shutdown = shim_request_shutdown,
};

const shim_host *H = &host_real;
