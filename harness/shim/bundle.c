#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <stdint.h>
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
  if (rc == 0)
    {
      /* as containerd (runtime/v2/bundle.go): a work directory under its
       * root, <root>/<ns>/<id> (0711), linked from the bundle as `work`;
       * our root is the state directory's sibling "root" */
      const char *slash = strrchr (state, '/');
      char *root = slash ? sc_xasprintf ("%.*s/root", (int) (slash - state), state)
                         : sc_xstrdup ("root");
      char *work = sc_xasprintf ("%s/%s/%s", root, ns, id);
      char *link = sc_xasprintf ("%s/work", b);
      rc = mkdir_p (work, 0711, err);
      if (rc == 0 && symlink (work, link) < 0 && errno != EEXIST)
        rc = sc_error_make (err, errno, "symlink %s -> %s", link, work);
      free (root);
      free (work);
      free (link);
    }
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

/* mountinfo's fifth field, its octal escapes (\040 space, \011 tab, \012
 * newline, \134 backslash) undone, in place */
static void
unescape_mountinfo (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0'
          && r[3] <= '7')
        {
          *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
          r += 3;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
}

size_t
sc_mounts_under (const char *path, char ***out)
{
  *out = NULL;
  size_t plen = strlen (path), n = 0;
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return 0;
  char *line = NULL;
  size_t cap = 0;
  while (getline (&line, &cap, f) > 0)
    {
      /* id parent major:minor root mount-point ... */
      char *save = NULL, *field = strtok_r (line, " ", &save);
      for (int k = 0; field && k < 4; k++)
        field = strtok_r (NULL, " ", &save);
      if (field == NULL)
        continue;
      unescape_mountinfo (field);
      if (strncmp (field, path, plen) != 0 || (field[plen] != '/' && field[plen] != '\0'))
        continue;
      *out = sc_xrealloc (*out, (n + 1) * sizeof (**out));
      (*out)[n++] = sc_xstrdup (field);
    }
  free (line);
  fclose (f);
  for (size_t a = 1; a < n; a++) /* insertion sort, longest first */
    for (size_t b = a; b > 0 && strlen ((*out)[b]) > strlen ((*out)[b - 1]); b--)
      {
        char *t = (*out)[b];
        (*out)[b] = (*out)[b - 1];
        (*out)[b - 1] = t;
      }
  return n;
}

void
sc_mounts_free (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* Unmounts everything mounted at or under path, stacked mounts included,
 * until none is left (bounded); an error names a mount that stays. */
static int
unmount_under (const char *path, sc_error *err)
{
  char real[PATH_MAX];
  if (realpath (path, real) == NULL)
    snprintf (real, sizeof (real), "%s", path);
  for (int round = 0; round < 1024; round++)
    {
      char **mps;
      size_t n = sc_mounts_under (real, &mps);
      if (n == 0)
        return 0;
      bool progress = false;
      for (size_t i = 0; i < n; i++)
        progress |= umount2 (mps[i], MNT_DETACH | UMOUNT_NOFOLLOW) == 0;
      if (!progress)
        {
          int e = errno;
          sc_error_make (err, e, "a mount under %s cannot be unmounted: %s", path, mps[0]);
          sc_mounts_free (mps, n);
          return -1;
        }
      sc_mounts_free (mps, n);
    }
  return sc_error_make (err, EBUSY, "mounts under %s keep appearing", path);
}

/* the id of the mount a file is on (statx STATX_MNT_ID); 0 if unknown */
static uint64_t
mount_id_at (int dirfd, const char *name)
{
  struct statx sx;
  if (statx (dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &sx) < 0
      || !(sx.stx_mask & STATX_MNT_ID))
    return 0;
  return sx.stx_mnt_id;
}

static int
remove_at (int parent_fd, const char *name, dev_t dev, uint64_t mnt, sc_error *err)
{
  struct stat st;
  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : sc_error_make (err, errno, "stat %s", name);
  if (S_ISDIR (st.st_mode))
    {
      /* never descend into a mount point: another device, or (a bind mount
       * of the same filesystem keeps st_dev) another mount id */
      uint64_t m = mount_id_at (parent_fd, name);
      if (st.st_dev != dev || (mnt != 0 && m != 0 && m != mnt))
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
          if (remove_at (dirfd (d), de->d_name, dev, mnt, err) < 0)
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
  sc_error umount_err = SC_ERROR_INIT;
  int urc = unmount_under (path, &umount_err);
  if (lstat (path, &st) < 0)
    {
      sc_error_release (&umount_err);
      return sc_error_make (err, errno, "stat %s", path);
    }
  int rc = remove_at (AT_FDCWD, path, st.st_dev, mount_id_at (AT_FDCWD, path), err);
  if (urc < 0)
    {
      /* the mount that stayed is the news; what could not be removed under
       * it follows from it */
      if (err)
        {
          sc_error_release (err);
          *err = umount_err;
        }
      else
        sc_error_release (&umount_err);
      return -1;
    }
  return rc;
}
