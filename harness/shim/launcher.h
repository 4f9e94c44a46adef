/* Launches a shim binary exactly as one containerd version does (its
 * sc_profile; docs/shim-behaviour.md#start, #connect, docs/containerd-versions.md):
 * the bundle's `log` FIFO created and drained, `start` with that
 * containerd's argv/env/cwd and stdin (runtime options, or 2.3's
 * BootstrapParams), its output parsed as that containerd parses it, a ttrpc
 * connection to the task service it advertised, bootstrap.json written as
 * 2.x does, and later the `delete` subcommand.  Every step
 * has a deadline and an error naming the step; everything spawned is killed
 * and reaped on every path. */
#ifndef SHIMCHECK_LAUNCHER_H
#define SHIMCHECK_LAUNCHER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "address.h"
#include "containerd/task/shim.pb-c.h"
#include "loop.h"
#include "proc.h"
#include "profile.h"
#include "task_client.h"
#include "ttrpc_client.h"

typedef struct sc_launch_opts
{
  const char *shim;            /* path of the shim binary */
  const char *ns;              /* -namespace */
  const char *id;              /* -id; the bundle's basename should equal it */
  const char *bundle;          /* existing dir with config.json; cwd of start/delete */
  const char *grpc_address;    /* -address (containerd's socket; need not exist) */
  const char *ttrpc_address;   /* TTRPC_ADDRESS: where events go */
  const char *publish_binary;  /* -publish-binary; default /usr/bin/containerd */
  bool debug;                  /* -debug */
  const sc_profile *profile;   /* the containerd to act as; NULL: sc_profile_default () */
  const void *options;         /* runtime options: a packed google.protobuf.Any, or NULL
                                  (start's stdin, or a BootstrapParams extension in 2.3) */
  size_t options_len;
  const char *socket_dir;      /* 2.3: BootstrapParams.socket_dir; NULL: unset */
  int64_t start_timeout_ms;    /* default 5000 */
  int64_t connect_timeout_ms;  /* default 5000 */
  int64_t delete_timeout_ms;   /* default 10000 */
  const char *own_dir;         /* a runner directory a shim socket may be in (besides
                                  SC_SHIM_SOCKET_ROOT); NULL: none */
} sc_launch_opts;

typedef struct sc_shim
{
  sc_loop *loop;
  char *shim, *ns, *id, *bundle, *grpc_address, *ttrpc_address, *publish_binary, *own_dir;
  bool debug;
  const sc_profile *profile;
  char *socket_dir;
  int64_t start_timeout_ms, connect_timeout_ms, delete_timeout_ms;

  /* log FIFO */
  int log_fd;
  sc_watch log_watch;
  char *log;         /* drained log content (last 256 KiB) */
  size_t log_len;

  /* start */
  void *start_stdin;   /* the bytes start got on stdin */
  size_t start_stdin_len;
  sc_run_result start;
  sc_shim_address addr;

  /* the serving daemon, learned from the kernel when we connect (never
   * from what the shim says): the descendant of ours that holds the socket */
  pid_t daemon_pid;
  int daemon_pidfd;  /* signals go through it: a reused pid is never hit */
  pid_t reported_pid; /* what Connect said (sc_shim_track), for the cases to judge */
  sc_ttrpc_client *rpc;
  sc_task_client task;
} sc_shim;

/* Creates <bundle>/log as a FIFO (0700), opens it O_RDWR|O_NONBLOCK and
 * drains it on the loop, then runs `start` and parses the address.
 * On failure *out is still set (with what was learned) so the caller can
 * report and free it. */
int sc_shim_start (sc_loop *loop, const sc_launch_opts *o, sc_shim **out, sc_error *err);
/* Dials the address; sets the namespace metadata; fills shim->task (the
 * task service the shim advertised); writes <bundle>/bootstrap.json and
 * shim-binary-path when the profile's containerd does; identifies the
 * serving daemon (sc_shim_identify). */
int sc_shim_connect (sc_shim *s, sc_error *err);
/* containerd 2.x's fallback: a v3 Create answered Unimplemented, so it
 * talks containerd.task.v2.Task to this shim from now on.  true if it
 * switched (the profile does it and the shim was on v3). */
bool sc_shim_downgrade (sc_shim *s);
/* Remembers the pid Connect reported.  Nothing is ever signalled because a
 * shim named it: the daemon is identified by sc_shim_connect. */
void sc_shim_track (sc_shim *s, pid_t reported_pid);
/* Identifies the serving daemon again (after a daemon restart); 0 if none
 * of our descendants serves the address. */
pid_t sc_shim_identify (sc_shim *s);
/* Signals the identified daemon through its pidfd; -1 when none is known. */
int sc_shim_signal (sc_shim *s, int sig);
/* The daemon is another sc_shim's (a second start of the same group):
 * this one must neither wait for it nor kill it. */
void sc_shim_forget_daemon (sc_shim *s);
/* Closes the ttrpc connection (as containerd does before `delete`). */
void sc_shim_disconnect (sc_shim *s);
/* Runs `<shim> -namespace … -address … -publish-binary … -id … -bundle …
 * delete`, decodes stdout as a raw DeleteResponse.  *resp may be NULL on
 * return 0 when the caller passes resp == NULL.  run (optional) receives the
 * process result (stdout/stderr) for reports; release it. */
int sc_shim_delete (sc_shim *s, Containerd__Task__V2__DeleteResponse **resp, sc_run_result *run,
                    sc_error *err);
/* How long a shim may take to exit after it accepted Shutdown.  The Go shims
 * (containerd 1.6 runtime/v2/shim/shim.go) first drain their event publisher,
 * each Forward with a 5 s deadline, then wait up to 5 s more for it to close:
 * 5 s is their designed worst case, not a hang, so the grace is twice that. */
#define SC_SHIM_EXIT_GRACE_MS 10000
/* Waits for the daemon to exit. 0 if gone within timeout. */
int sc_shim_wait_exit (sc_shim *s, int64_t timeout_ms);
/* containerd's teardown of a shim with no tasks left: Shutdown{id} (3 s
 * deadline; a closed connection counts as done), close the connection, wait
 * for the daemon to exit.  Learns the daemon pid by Connect if unknown.
 * Returns 0 when the daemon is gone within timeout_ms. */
int sc_shim_shutdown (sc_shim *s, int64_t timeout_ms);
/* Kills the daemon and everything it left behind (its descendants), and
 * removes the socket file a killed daemon leaves (once nothing listens). */
void sc_shim_kill (sc_shim *s);
/* Kills anything still running (sc_shim_kill), closes the log, frees. */
/* containerd's log FIFO reader goes away (a containerd restart) and comes
 * back: the bundle's `log` FIFO has no reader of ours in between */
void sc_shim_log_detach (sc_shim *s);
int sc_shim_log_reattach (sc_shim *s, sc_error *err);
void sc_shim_free (sc_shim *s);

#endif
