#include "env.h"

#include <limits.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "proc.h"

const char *
sc_tmpdir (void)
{
  const char *t = getenv ("TMPDIR");
  return t && t[0] == '/' ? t : "/tmp";
}

int
sc_env_setup (sc_env *env, const char *ns_prefix, sc_error *err)
{
  return sc_env_setup_in (env, NULL, ns_prefix, err);
}

int
sc_env_setup_in (sc_env *env, const char *base, const char *ns_prefix, sc_error *err)
{
  memset (env, 0, sizeof (*env));
  env->runtime = sc_xstrdup ("runc");
  if (sc_loop_new (&env->loop, err) < 0)
    return -1;
  char *tmpl = sc_xasprintf ("%s/shimcheck.XXXXXX", base ? base : sc_tmpdir ());
  if (mkdtemp (tmpl) == NULL)
    {
      int e = errno;
      sc_error_make (err, e, "mkdtemp %s", tmpl);
      free (tmpl);
      return -1;
    }
  env->dir = tmpl;
  env->grpc_address = sc_xasprintf ("%s/containerd.sock", env->dir);
  env->ttrpc_address = sc_xasprintf ("%s.ttrpc", env->grpc_address);
  env->state = sc_xasprintf ("%s/state", env->dir);
  /* unique per run: the runc shim keeps runc state in
   * /run/containerd/runc/<namespace> whatever our dirs are */
  env->ns = sc_xasprintf ("%s-%d-%s", ns_prefix, (int) getpid (), strrchr (env->dir, '.') + 1);
  for (char *p = env->ns; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char) (*p - 'A' + 'a');
  if (sc_events_sink_new (env->loop, env->ttrpc_address, &env->sink, err) < 0)
    return -1;
  return 0;
}

/* a cgroup directory and the cgroups below it, deepest first (a cgroup
 * filesystem's directories go with rmdir alone); bounded depth, no symlinks */
static void
remove_cgroup_tree (const char *path, int depth)
{
  DIR *d = depth < 16 ? opendir (path) : NULL;
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || de->d_type != DT_DIR)
        continue;
      char *sub = sc_xasprintf ("%s/%s", path, de->d_name);
      remove_cgroup_tree (sub, depth + 1);
      free (sub);
    }
  if (d)
    closedir (d);
  rmdir (path);
}

void
sc_env_cleanup_runtime_state (const char *ns, const char *runtime)
{
  char *root = sc_xasprintf ("/run/containerd/runc/%s", ns);
  DIR *d = opendir (root);
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      char *argv[] = { (char *) (runtime ? runtime : "runc"), (char *) "--root", root,
                       (char *) "delete", (char *) "--force", de->d_name, NULL };
      char *path = sc_find_executable (argv[0]);
      if (path)
        {
          sc_run_opts ro = { .path = path, .argv = argv, .timeout_ms = 10000 };
          sc_run_result r;
          if (sc_run (&ro, &r, NULL) == 0)
            sc_run_result_release (&r);
          free (path);
        }
    }
  if (d)
    closedir (d);
  rmdir (root); /* only once empty */
  free (root);
  /* the runtime removes /<ns>/<id> cgroups; the per-namespace parents are
   * ours, and so is whatever a case or an interrupted task left under them
   * (emptied cgroups only: rmdir refuses one that still has processes) */
  DIR *cg = opendir ("/sys/fs/cgroup");
  while (cg && (de = readdir (cg)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      char *p = sc_xasprintf ("/sys/fs/cgroup/%s/%s", de->d_name, ns);
      remove_cgroup_tree (p, 0);
      free (p);
    }
  if (cg)
    closedir (cg);
  char *unified = sc_xasprintf ("/sys/fs/cgroup/%s", ns);
  remove_cgroup_tree (unified, 0);
  free (unified);
}

size_t
sc_env_teardown (sc_env *env, sc_error *cleanup_err)
{
  size_t killed = sc_proc_kill_descendants (getpid ());
  sc_events_sink_free (env->sink);
  env->sink = NULL;
  if (env->dir && !env->keep)
    {
      /* everything we ran is gone: a mount still under the run's directory
       * is one the shim left (unmounted below, and reported) */
      char real[PATH_MAX], **mps = NULL;
      size_t n = realpath (env->dir, real) ? sc_mounts_under (real, &mps) : 0;
      if (n > 0 && cleanup_err)
        sc_error_make (cleanup_err, 0, "%zu mount%s left under the run's directory: %s%s", n,
                       n > 1 ? "s" : "", mps[0], n > 1 ? ", ..." : "");
      sc_mounts_free (mps, n);
      sc_error err = SC_ERROR_INIT;
      if (sc_remove_tree (env->dir, &err) < 0)
        {
          if (cleanup_err)
            {
              sc_error_release (cleanup_err);
              sc_error_make (cleanup_err, 0, "cleanup of %s: %s", env->dir, err.msg);
            }
          else
            fprintf (stderr, "shimcheck: cleanup of %s: %s\n", env->dir, err.msg);
        }
      sc_error_release (&err);
    }
  if (env->ns)
    sc_env_cleanup_runtime_state (env->ns, env->runtime);
  free (env->runtime);
  sc_loop_free (env->loop);
  free (env->dir);
  free (env->grpc_address);
  free (env->ttrpc_address);
  free (env->state);
  free (env->ns);
  memset (env, 0, sizeof (*env));
  return killed;
}
