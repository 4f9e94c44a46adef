#include "env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "proc.h"

int
sc_env_setup (sc_env *env, const char *ns_prefix, sc_error *err)
{
  memset (env, 0, sizeof (*env));
  if (sc_loop_new (&env->loop, err) < 0)
    return -1;
  char tmpl[] = "/tmp/shimcheck.XXXXXX";
  if (mkdtemp (tmpl) == NULL)
    return sc_error_make (err, errno, "mkdtemp %s", tmpl);
  env->dir = sc_xstrdup (tmpl);
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

size_t
sc_env_teardown (sc_env *env)
{
  size_t killed = sc_proc_kill_descendants (getpid ());
  sc_events_sink_free (env->sink);
  env->sink = NULL;
  if (env->dir && !env->keep)
    {
      sc_error err = SC_ERROR_INIT;
      if (sc_remove_tree (env->dir, &err) < 0)
        fprintf (stderr, "shimcheck: cleanup of %s: %s\n", env->dir, err.msg);
      sc_error_release (&err);
    }
  if (env->ns)
    {
      char *runc_state = sc_xasprintf ("/run/containerd/runc/%s", env->ns);
      rmdir (runc_state); /* only if the runtime left it empty */
      free (runc_state);
    }
  sc_loop_free (env->loop);
  free (env->dir);
  free (env->grpc_address);
  free (env->ttrpc_address);
  free (env->state);
  free (env->ns);
  memset (env, 0, sizeof (*env));
  return killed;
}
