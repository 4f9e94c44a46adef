#include "oci_spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *
str_array (const char *const *v)
{
  json_t *a = json_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

static json_t *
mount (const char *dest, const char *type, const char *src, const char *const *opts)
{
  json_t *m = json_pack ("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", src);
  if (opts)
    json_object_set_new (m, "options", str_array (opts));
  return m;
}

json_t *
sc_oci_default_spec (const char *const *args, bool terminal)
{
  static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  static const char *const env[]
    = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
  static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts_opts[]
    = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const shm_opts[]
    = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mq_opts[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cg_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
  static const char *const masked[]
    = { "/proc/acpi",        "/proc/asound",    "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware",     "/proc/scsi",      NULL };
  static const char *const ro[]
    = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };
  static const char *const default_args[] = { "sh", NULL };

  json_t *capset = json_pack ("{s:o, s:o, s:o, s:o}", "bounding", str_array (caps), "effective",
                              str_array (caps), "permitted", str_array (caps), "ambient",
                              str_array (caps));
  json_t *process = json_pack (
    "{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:[{s:s, s:i, s:i}], s:b}", "terminal", terminal,
    "user", "uid", 0, "gid", 0, "args", str_array (args ? args : default_args), "env",
    str_array (env), "cwd", "/", "capabilities", capset, "rlimits", "type", "RLIMIT_NOFILE",
    "hard", 1024, "soft", 1024, "noNewPrivileges", true);
  json_t *mounts = json_array ();
  json_array_append_new (mounts, mount ("/proc", "proc", "proc", NULL));
  json_array_append_new (mounts, mount ("/dev", "tmpfs", "tmpfs", dev_opts));
  json_array_append_new (mounts, mount ("/dev/pts", "devpts", "devpts", pts_opts));
  json_array_append_new (mounts, mount ("/dev/shm", "tmpfs", "shm", shm_opts));
  json_array_append_new (mounts, mount ("/dev/mqueue", "mqueue", "mqueue", mq_opts));
  json_array_append_new (mounts, mount ("/sys", "sysfs", "sysfs", sys_opts));
  json_array_append_new (mounts, mount ("/sys/fs/cgroup", "cgroup", "cgroup", cg_opts));
  json_t *linux_ = json_pack (
    "{s:{s:[{s:b, s:s}]}, s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}], s:o, s:o}", "resources",
    "devices", "allow", false, "access", "rwm", "namespaces", "type", "pid", "type", "network",
    "type", "ipc", "type", "uts", "type", "mount", "maskedPaths", str_array (masked),
    "readonlyPaths", str_array (ro));
  return json_pack ("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2-dev",
                    "process", process, "root", "path", "rootfs", "readonly", true, "hostname",
                    "shimcheck", "mounts", mounts, "linux", linux_);
}

static int
type_error (sc_error *err, const char *where, const char *want, const json_t *got)
{
  static const char *const names[] = { "object", "array", "string", "integer",
                                       "real",   "true",  "false",  "null" };
  const char *g = got ? names[json_typeof (got)] : "missing";
  return sc_error_make (err, EINVAL, "config.json: %s must be %s, got %s", where, want, g);
}

static int
check_string_array (const json_t *a, const char *where, bool non_empty, sc_error *err)
{
  if (!json_is_array (a))
    return type_error (err, where, "an array of strings", a);
  if (non_empty && json_array_size (a) == 0)
    return sc_error_make (err, EINVAL, "config.json: %s must not be empty", where);
  size_t i;
  json_t *v;
  json_array_foreach (a, i, v)
  {
    if (!json_is_string (v))
      {
        char *w = sc_xasprintf ("%s[%zu]", where, i);
        int rc = type_error (err, w, "a string", v);
        free (w);
        return rc;
      }
  }
  return 0;
}

int
sc_oci_validate_process (const json_t *p, const char *where, sc_error *err)
{
  if (!json_is_object (p))
    return type_error (err, where, "an object", p);
  char w[128];
  snprintf (w, sizeof (w), "%s.args", where);
  if (check_string_array (json_object_get (p, "args"), w, true, err) < 0)
    return -1;
  const json_t *cwd = json_object_get (p, "cwd");
  snprintf (w, sizeof (w), "%s.cwd", where);
  if (!json_is_string (cwd))
    return type_error (err, w, "a string", cwd);
  if (json_string_value (cwd)[0] != '/')
    return sc_error_make (err, EINVAL, "config.json: %s must be an absolute path, got \"%s\"", w,
                          json_string_value (cwd));
  const json_t *env = json_object_get (p, "env");
  snprintf (w, sizeof (w), "%s.env", where);
  if (env && check_string_array (env, w, false, err) < 0)
    return -1;
  const json_t *term = json_object_get (p, "terminal");
  snprintf (w, sizeof (w), "%s.terminal", where);
  if (term && !json_is_boolean (term))
    return type_error (err, w, "a boolean", term);
  const json_t *user = json_object_get (p, "user");
  if (user)
    {
      snprintf (w, sizeof (w), "%s.user", where);
      if (!json_is_object (user))
        return type_error (err, w, "an object", user);
      const char *keys[] = { "uid", "gid" };
      for (int i = 0; i < 2; i++)
        {
          const json_t *v = json_object_get (user, keys[i]);
          snprintf (w, sizeof (w), "%s.user.%s", where, keys[i]);
          if (v && (!json_is_integer (v) || json_integer_value (v) < 0
                    || json_integer_value (v) > UINT32_MAX))
            return type_error (err, w, "a non-negative 32-bit integer", v);
        }
    }
  return 0;
}

int
sc_oci_validate (const json_t *spec, sc_error *err)
{
  if (!json_is_object (spec))
    return type_error (err, "the document", "an object", spec);
  const json_t *v = json_object_get (spec, "ociVersion");
  if (!json_is_string (v))
    return type_error (err, "ociVersion", "a string", v);
  if (sc_oci_validate_process (json_object_get (spec, "process"), "process", err) < 0)
    return -1;
  const json_t *root = json_object_get (spec, "root");
  if (!json_is_object (root))
    return type_error (err, "root", "an object", root);
  const json_t *rp = json_object_get (root, "path");
  if (!json_is_string (rp) || json_string_length (rp) == 0)
    return type_error (err, "root.path", "a non-empty string", rp);
  const json_t *ro = json_object_get (root, "readonly");
  if (ro && !json_is_boolean (ro))
    return type_error (err, "root.readonly", "a boolean", ro);
  const json_t *mounts = json_object_get (spec, "mounts");
  if (mounts)
    {
      if (!json_is_array (mounts))
        return type_error (err, "mounts", "an array", mounts);
      size_t i;
      json_t *m;
      json_array_foreach (mounts, i, m)
      {
        char w[64];
        snprintf (w, sizeof (w), "mounts[%zu]", i);
        if (!json_is_object (m))
          return type_error (err, w, "an object", m);
        snprintf (w, sizeof (w), "mounts[%zu].destination", i);
        if (!json_is_string (json_object_get (m, "destination")))
          return type_error (err, w, "a string", json_object_get (m, "destination"));
        snprintf (w, sizeof (w), "mounts[%zu].options", i);
        const json_t *o = json_object_get (m, "options");
        if (o && check_string_array (o, w, false, err) < 0)
          return -1;
      }
    }
  const json_t *lx = json_object_get (spec, "linux");
  if (lx)
    {
      if (!json_is_object (lx))
        return type_error (err, "linux", "an object", lx);
      const json_t *ns = json_object_get (lx, "namespaces");
      if (ns)
        {
          if (!json_is_array (ns))
            return type_error (err, "linux.namespaces", "an array", ns);
          static const char *const known[]
            = { "pid", "network", "ipc", "uts", "mount", "user", "cgroup", "time", NULL };
          size_t i;
          json_t *n;
          json_array_foreach (ns, i, n)
          {
            char w[64];
            snprintf (w, sizeof (w), "linux.namespaces[%zu].type", i);
            const json_t *t = json_is_object (n) ? json_object_get (n, "type") : NULL;
            if (!json_is_string (t))
              return type_error (err, w, "a string", t);
            bool ok = false;
            for (int k = 0; known[k]; k++)
              ok |= strcmp (known[k], json_string_value (t)) == 0;
            if (!ok)
              return sc_error_make (err, EINVAL, "config.json: %s \"%s\" is not a namespace type",
                                    w, json_string_value (t));
          }
        }
    }
  const json_t *ann = json_object_get (spec, "annotations");
  if (ann)
    {
      if (!json_is_object (ann))
        return type_error (err, "annotations", "an object", ann);
      const char *k;
      json_t *av;
      json_object_foreach ((json_t *) ann, k, av)
      {
        if (!json_is_string (av))
          {
            char w[160];
            snprintf (w, sizeof (w), "annotations[\"%.100s\"]", k);
            return type_error (err, w, "a string", av);
          }
      }
    }
  return 0;
}

int
sc_oci_parse (const char *text, size_t len, json_t **out, sc_error *err)
{
  json_error_t jerr;
  json_t *j = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (j == NULL)
    return sc_error_make (err, EINVAL, "config.json: line %d column %d: %s", jerr.line,
                          jerr.column, jerr.text);
  if (sc_oci_validate (j, err) < 0)
    {
      json_decref (j);
      return -1;
    }
  *out = j;
  return 0;
}

int
sc_oci_read (const char *path, json_t **out, sc_error *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sc_error_make (err, errno, "open %s", path);
  size_t cap = 65536, len = 0;
  char *buf = sc_xmalloc (cap);
  const size_t max = 16 << 20;
  for (;;)
    {
      if (len == cap)
        {
          if (cap >= max)
            {
              close (fd);
              free (buf);
              return sc_error_make (err, EFBIG, "%s is larger than %zu bytes", path, max);
            }
          buf = sc_xrealloc (buf, cap *= 2);
        }
      ssize_t n = read (fd, buf + len, cap - len);
      if (n < 0)
        {
          int e = errno;
          close (fd);
          free (buf);
          return sc_error_make (err, e, "read %s", path);
        }
      if (n == 0)
        break;
      len += (size_t) n;
    }
  close (fd);
  int rc = sc_oci_parse (buf, len, out, err);
  free (buf);
  if (rc < 0)
    return sc_error_wrap (err, "%s", path);
  return 0;
}

int
sc_oci_write (const json_t *spec, const char *path, sc_error *err)
{
  char *tmp = sc_xasprintf ("%s.tmp", path);
  int rc = 0;
  if (json_dump_file (spec, tmp, JSON_INDENT (2) | JSON_SORT_KEYS) < 0)
    rc = sc_error_make (err, errno, "write %s", tmp);
  else if (rename (tmp, path) < 0)
    rc = sc_error_make (err, errno, "rename %s", tmp);
  if (rc < 0)
    unlink (tmp);
  free (tmp);
  return rc;
}

bool
sc_oci_new_namespace (const json_t *spec, const char *type)
{
  json_t *nss = json_object_get (json_object_get (spec, "linux"), "namespaces");
  size_t i;
  json_t *n;
  json_array_foreach (nss, i, n)
  {
    json_t *t = json_object_get (n, "type");
    json_t *path = json_object_get (n, "path");
    if (json_is_string (t) && strcmp (json_string_value (t), type) == 0
        && !(json_is_string (path) && json_string_length (path) > 0))
      return true;
  }
  return false;
}

void
sc_json_decrefp (void *jsonp)
{
  json_t **j = jsonp;
  json_decref (*j);
  *j = NULL;
}
