/* containerd-shim-ref-v1: every contact of the task service with the host,
 * behind one table: the runtime CLI, signals, rootfs mounts, bundle files,
 * stdio and event publishing.  The daemon uses host_real (host.c); the
 * task_dispatch fuzz target swaps in a fake without processes, mounts or
 * file writes, so the state machine in task.c is what gets explored. */
#ifndef REFSHIM_HOST_H
#define REFSHIM_HOST_H

#include "shim.h"

typedef struct shim_host
{
  /* the runtime CLI, asynchronously (contract of rt_run in shim.h) */
  int (*rt_run) (container *c, const char *const *args, const int *child_stdio,
                 const char *stdin_data, rt_cb cb, void *data, char **errmsg);
  /* absolute path of a runtime binary, NULL if not found */
  char *(*find_runtime) (const char *name);
  int (*kill) (pid_t pid, int sig);
  /* an exit reaped before the shim learned the pid */
  bool (*take_early_exit) (pid_t pid, int *status, int64_t *at_ns);
  /* mounts onto <bundle>/rootfs, counted in c->mounts */
  int (*mount_rootfs) (container *c, Containerd__Types__Mount **mounts, size_t n, char **errmsg);
  void (*unmount_rootfs) (container *c);
  /* 0 when path is a directory, else an errno */
  int (*stat_bundle) (const char *path);
  int (*read_spec) (const char *path, json_t **spec, sc_error *err);
  int (*write_file) (const char *path, const char *text);
  /* NULL on success, else a message */
  char *(*read_pid) (const char *path, pid_t *pid);
  void (*remove_file) (const char *path);
  /* stdio (contracts in shim.h) */
  int (*stdio_prepare) (process *p, int child_fds[3], char **console_path, char **errmsg);
  int (*stdio_start) (process *p, char **errmsg);
  void (*stdio_close_stdin) (process *p);
  int (*stdio_resize) (process *p, uint32_t width, uint32_t height);
  void (*stdio_when_drained) (process *p, int64_t timeout_ms, void (*cb) (void *), void *data);
  void (*stdio_free) (process *p);
  void (*publish) (const char *topic, const ProtobufCMessage *event);
  /* Shutdown with no task left: the daemon exits after the reply */
  void (*request_shutdown) (void);
} shim_host;

extern const shim_host host_real;
/* the table in use: &host_real unless a test or fuzz target swaps it */
extern const shim_host *H;

#endif
