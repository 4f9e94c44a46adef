/* containerd-shim-ref-v1: every contact of the task service with the host,
 * behind one table of operations: the runtime CLI, exit watching, signals,
 * rootfs mounts, bundle files, stdio and event publishing.  The daemon uses
 * the real host (host.c); the task_dispatch fuzz target swaps in a fake
 * without processes, mounts or file writes, so the state machine is what
 * gets explored.
 *
 * One error convention: an operation that can fail returns int (< 0 on
 * failure) and fills the sc_error it is given (errnum set when an errno is
 * the cause).  Every operation gets the host itself as its first argument. */
#ifndef REFSHIM_HOST_H
#define REFSHIM_HOST_H

#include <protobuf-c/protobuf-c.h>

#include "containerd/types/mount.pb-c.h"
#include "error.h"
#include "model.h"

/* What a runtime CLI call left behind. */
typedef struct rt_result
{
  int status;               /* raw wait status */
  char *out;                /* captured stdout */
  size_t out_len;
  char *err;                /* captured stderr */
  char *log_error;          /* the last "error" message of its JSON log, or NULL */
} rt_result;
typedef void (*rt_cb) (const rt_result *r, void *data);
/* a watched process exited with a raw wait status at a wall-clock time */
typedef void (*exit_cb) (pid_t pid, int status, int64_t at_ns, void *data);

typedef struct shim_host_ops
{
  /* Runs `<runtime> --root R --log B/log.json --log-format json
   * [--systemd-cgroup] args...` for container c, asynchronously: cb gets the
   * result on a later loop turn.  child_stdio: fds for the child's 0,1,2
   * (create/exec hand the container its stdio), or NULL to capture
   * stdout/stderr, with stdin_data written to its stdin. */
  int (*rt_run) (shim_host *h, container *c, const char *const *args, const int *child_stdio,
                 const char *stdin_data, rt_cb cb, void *data, sc_error *err);
  /* absolute path of a runtime binary */
  int (*find_runtime) (shim_host *h, const char *name, char **path, sc_error *err);
  int (*kill) (shim_host *h, pid_t pid, int sig, sc_error *err);
  /* cb once pid exits (at once if it already did); unwatch forgets it */
  void (*watch_exit) (shim_host *h, pid_t pid, exit_cb cb, void *data);
  void (*unwatch_exit) (shim_host *h, pid_t pid);
  /* mounts onto <bundle>/rootfs, or with a target (containerd 2.x) onto
   * that directory inside it, resolved as if the rootfs were / (a symlink
   * cannot lead out); counted in c->mounts; unmounted in reverse order */
  int (*mount_rootfs) (shim_host *h, container *c, Containerd__Types__Mount **mounts, size_t n,
                       sc_error *err);
  void (*unmount_rootfs) (shim_host *h, container *c);
  /* path is a directory */
  int (*stat_bundle) (shim_host *h, const char *path, sc_error *err);
  int (*read_spec) (shim_host *h, const char *path, json_t **spec, sc_error *err);
  int (*write_file) (shim_host *h, const char *path, const char *text, sc_error *err);
  int (*read_pid) (shim_host *h, const char *path, pid_t *pid, sc_error *err);
  void (*remove_file) (shim_host *h, const char *path);
  /* stdio: builds the container-side fds for p (pipes for paths that are
   * set, /dev/null otherwise; with a terminal, a console socket instead) */
  int (*stdio_prepare) (shim_host *h, process *p, int child_fds[3], char **console_path,
                        sc_error *err);
  /* cb (data, NULL) once p's binary:// logger said it is ready (at once
   * without one), cb (data, why) if it did not; before the runtime call */
  void (*stdio_when_ready) (shim_host *h, process *p, void (*cb) (void *data, const char *why),
                            void *data);
  /* after the runtime call: closes the child ends, opens the FIFOs, copies */
  int (*stdio_start) (shim_host *h, process *p, sc_error *err);
  void (*stdio_close_stdin) (shim_host *h, process *p);
  int (*stdio_resize) (shim_host *h, process *p, uint32_t width, uint32_t height, sc_error *err);
  /* cb once all of p's output is copied, or after timeout_ms */
  void (*stdio_when_drained) (shim_host *h, process *p, int64_t timeout_ms, void (*cb) (void *),
                              void *data);
  void (*stdio_free) (shim_host *h, process *p);
  void (*publish) (shim_host *h, const char *topic, const ProtobufCMessage *event);
  /* OOM kills in c's memory cgroup (the one its init, pid, is in): each
   * publishes /tasks/oom for c.  oom_poll publishes one not reported yet,
   * so that it goes out before the init's exit; unwatch_oom stops. */
  void (*watch_oom) (shim_host *h, container *c, pid_t pid);
  void (*oom_poll) (shim_host *h, container *c);
  void (*unwatch_oom) (shim_host *h, container *c);
  /* true on a unified cgroup v2 host (cgroup2 mounted at /sys/fs/cgroup):
   * Stats answers v2 Metrics there, as containerd expects */
  bool (*cgroup_unified) (shim_host *h);
  /* memory.events of c's cgroup v2 (low, high, max, oom, oom_kill): < 0
   * when there is none (cgroup v1, or no OOM watch) */
  int (*memory_events) (shim_host *h, container *c, uint64_t out[5]);
  /* Shutdown with no task left: the daemon exits after the reply */
  void (*request_shutdown) (shim_host *h);
} shim_host_ops;

struct shim_host
{
  const shim_host_ops *ops;
};

/* HOST (h, op, args...) calls h's op with h first. */
#define HOST(h, op, ...) ((h)->ops->op ((h), ##__VA_ARGS__))

#endif
