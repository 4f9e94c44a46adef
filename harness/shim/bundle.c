#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_spec.h"

static int
mkdir_p (const char *path, mode_t mode, sc_error *err)
{
  char *p = sc_xstrdup (path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, 0711) < 0 && errno != EEXIST)
          {
            int e = errno;
            free (p);
            return sc_error_make (err, e, "mkdir %s", path);
          }
        *s = '/';
      }
  int rc = 0;
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    rc = sc_error_make (err, errno, "mkdir %s", path);
  else
    chmod (p, mode);
  free (p);
  return rc;
}

static int
copy_file (const char *src, const char *dst, mode_t mode, sc_error *err)
{
  if (link (src, dst) == 0)
    return 0;
  int in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return sc_error_make (err, errno, "open %s", src);
  int out = open (dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (out < 0)
    {
      int e = errno;
      close (in);
      return sc_error_make (err, e, "create %s", dst);
    }
  char buf[65536];
  ssize_t n;
  int rc = 0;
  while ((n = read (in, buf, sizeof (buf))) > 0)
    if (write (out, buf, (size_t) n) != n)
      {
        rc = sc_error_make (err, errno, "write %s", dst);
        break;
      }
  close (in);
  close (out);
  return rc;
}

int
sc_rootfs_busybox (const char *dir, const char *busybox, sc_error *err)
{
  static const char *const applets[]
    = { "sh",    "ash",  "echo",   "cat",    "sleep", "true",  "false", "ls",   "ps",
        "kill",  "hostname", "seq", "tty",   "printf", "env",  "id",    "wc",   "head",
        "tail",  "yes",  "dd",     "md5sum", "sha256sum", "grep", "sed", "stty", "mkdir",
        "rm",    "touch", "test",  "[",      "pwd",   "uname", "stat",  "trap", "timeout",
        "nproc", "cut",  "tr",     "xargs",  "find",  "mount", "readlink", "date", NULL };
  static const char *const dirs[]
    = { "bin", "proc", "dev", "sys", "tmp", "etc", "root", "run", NULL };
  if (busybox == NULL)
    busybox = SC_BUSYBOX_DEFAULT;
  if (access (busybox, X_OK) < 0)
    return sc_error_make (err, errno, "busybox binary %s (install busybox-static)", busybox);
  if (mkdir_p (dir, 0755, err) < 0)
    return -1;
  for (int i = 0; dirs[i]; i++)
    {
      char *p = sc_xasprintf ("%s/%s", dir, dirs[i]);
      int rc = mkdir_p (p, strcmp (dirs[i], "tmp") == 0 ? 01777 : 0755, err);
      free (p);
      if (rc < 0)
        return -1;
    }
  char *bb = sc_xasprintf ("%s/bin/busybox", dir);
  unlink (bb);
  int rc = copy_file (busybox, bb, 0755, err);
  free (bb);
  if (rc < 0)
    return -1;
  for (int i = 0; applets[i]; i++)
    {
      char *p = sc_xasprintf ("%s/bin/%s", dir, applets[i]);
      unlink (p);
      if (symlink ("busybox", p) < 0)
        rc = sc_error_make (err, errno, "symlink %s", p);
      free (p);
      if (rc < 0)
        return -1;
    }
  char *passwd = sc_xasprintf ("%s/etc/passwd", dir);
  char *group = sc_xasprintf ("%s/etc/group", dir);
  FILE *f = fopen (passwd, "w");
  if (f)
    {
      fputs ("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", f);
      fclose (f);
    }
  f = fopen (group, "w");
  if (f)
    {
      fputs ("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n", f);
      fclose (f);
    }
  free (passwd);
  free (group);
  return 0;
}

int
sc_bundle_create (const char *state, const char *ns, const char *id, const json_t *spec,
                  char **path, sc_error *err)
{
  char *parent = sc_xasprintf ("%s/%s", state, ns);
  int rc = mkdir_p (parent, 0711, err);
  free (parent);
  if (rc < 0)
    return -1;
  char *b = sc_xasprintf ("%s/%s/%s", state, ns, id);
  if (mkdir_p (b, 0700, err) < 0)
    {
      free (b);
      return -1;
    }
  char *rootfs = sc_xasprintf ("%s/rootfs", b);
  rc = mkdir_p (rootfs, 0711, err);
  free (rootfs);
  if (rc == 0 && spec != NULL)
    {
      /* as containerd does: cgroupsPath "/<namespace>/<id>" unless the spec
       * has one, so tasks of the same id in other namespaces never share a
       * cgroup */
      json_t *copy = json_deep_copy (spec);
      json_t *lx = json_object_get (copy, "linux");
      if (json_is_object (lx) && json_object_get (lx, "cgroupsPath") == NULL)
        json_object_set_new (lx, "cgroupsPath", json_sprintf ("/%s/%s", ns, id));
      char *cfg = sc_xasprintf ("%s/config.json", b);
      rc = sc_oci_write (copy, cfg, err);
      json_decref (copy);
      if (rc == 0)
        chmod (cfg, 0666);
      free (cfg);
    }
  if (rc < 0)
    {
      free (b);
      return -1;
    }
  *path = b;
  return 0;
}

static void
unmount_under (const char *path)
{
  /* deepest first: scan /proc/self/mountinfo repeatedly */
  size_t plen = strlen (path);
  for (int round = 0; round < 32; round++)
    {
      FILE *f = fopen ("/proc/self/mountinfo", "r");
      if (f == NULL)
        return;
      char line[4096], best[PATH_MAX] = "";
      while (fgets (line, sizeof (line), f))
        {
          char mp[PATH_MAX];
          if (sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1)
            continue;
          if (strncmp (mp, path, plen) == 0 && (mp[plen] == '/' || mp[plen] == '\0')
              && strlen (mp) > strlen (best))
            snprintf (best, sizeof (best), "%s", mp);
        }
      fclose (f);
      if (best[0] == '\0')
        return;
      if (umount2 (best, MNT_DETACH) < 0)
        return;
    }
}

static int
remove_at (int parent_fd, const char *name, dev_t dev, sc_error *err)
{
  struct stat st;
  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : sc_error_make (err, errno, "stat %s", name);
  if (S_ISDIR (st.st_mode))
    {
      if (st.st_dev != dev)
        return sc_error_make (err, EBUSY, "refusing to remove %s: a mount point", name);
      int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return sc_error_make (err, errno, "open %s", name);
      DIR *d = fdopendir (fd);
      if (d == NULL)
        {
          close (fd);
          return sc_error_make (err, errno, "opendir %s", name);
        }
      struct dirent *de;
      int rc = 0;
      while ((de = readdir (d)) != NULL)
        {
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          if (remove_at (dirfd (d), de->d_name, dev, err) < 0)
            rc = -1;
        }
      closedir (d);
      if (rc < 0)
        return -1;
      if (unlinkat (parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return sc_error_make (err, errno, "rmdir %s", name);
      return 0;
    }
  if (unlinkat (parent_fd, name, 0) < 0 && errno != ENOENT)
    return sc_error_make (err, errno, "unlink %s", name);
  return 0;
}

int
sc_remove_tree (const char *path, sc_error *err)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : sc_error_make (err, errno, "stat %s", path);
  unmount_under (path);
  if (lstat (path, &st) < 0)
    return sc_error_make (err, errno, "stat %s", path);
  return remove_at (AT_FDCWD, path, st.st_dev, err);
}
