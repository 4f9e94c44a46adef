/* A private "containerd" environment for one shim: a temp dir holding the
 * fake containerd address, the events sink on <address>.ttrpc, the state dir
 * for bundles, and a unique namespace; torn down without leaving anything. */
#ifndef SHIMCHECK_ENV_H
#define SHIMCHECK_ENV_H

#include "events_sink.h"
#include "loop.h"

typedef struct sc_env
{
  sc_loop *loop;
  char *dir;           /* mkdtemp */
  char *grpc_address;  /* <dir>/containerd.sock (nothing listens: it is only a name) */
  char *ttrpc_address; /* <dir>/containerd.sock.ttrpc: the events sink */
  char *state;         /* <dir>/state: bundles live at <state>/<ns>/<id> */
  char *ns;
  sc_events_sink *sink;
  bool keep;           /* leave the temp dir for inspection */
  char *runtime;       /* runtime CLI for cleaning up leftover containers (runc) */
} sc_env;

/* where shimcheck makes its temporary directories: $TMPDIR if absolute,
 * else /tmp (tests point it at a directory of their own) */
const char *sc_tmpdir (void);
int sc_env_setup (sc_env *env, const char *ns_prefix, sc_error *err);
/* the same, with the temp dir under base (NULL: /tmp) */
int sc_env_setup_in (sc_env *env, const char *base, const char *ns_prefix, sc_error *err);
/* Force-deletes every container the runtime still has under
 * /run/containerd/runc/<ns> (what a killed shim leaves), then the dir. */
void sc_env_cleanup_runtime_state (const char *ns, const char *runtime);
/* Kills every descendant still running, removes the temp dir and the runc
 * state dir of our namespace, frees. Returns how many processes it killed. */
/* cleanup_err (optional) gets why the run's directory could not be removed
 * entirely (a mount that stayed, a mount point it refused to enter) */
size_t sc_env_teardown (sc_env *env, sc_error *cleanup_err);

#endif
