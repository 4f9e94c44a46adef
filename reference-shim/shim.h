/* containerd-shim-ref-v1: shared state of the serving daemon.
 * One event loop, no threads: runtime CLI calls are asynchronous child
 * processes, exits come from a signalfd, stdio is copied by loop watchers. */
#ifndef REFSHIM_SHIM_H
#define REFSHIM_SHIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "containerd/runc/options.pb-c.h"
#include "containerd/task/shim.pb-c.h"
#include "loop.h"
#include "ttrpc_server.h"

#define REFSHIM_NAME "containerd-shim-ref-v1"
#define REFSHIM_RUNTIME "io.containerd.ref.v1"
#define REFSHIM_DEFAULT_ROOT "/run/containerd/runc"
#define REFSHIM_SOCKET_DIR "/run/containerd/ref"
#define REFSHIM_MAX_ID 76
/* what CRI sends as options for non-runc runtimes; accepted and ignored */
#define REFSHIM_CRI_OPTIONS "runtimeoptions.v1.Options"

typedef struct container container;
typedef struct process process;
typedef struct stdio stdio;
typedef struct job job;

/* --- flags shared by every action (Go flag syntax) --- */
typedef struct shim_flags
{
  const char *ns;
  const char *id;
  const char *address;        /* containerd's grpc address */
  const char *publish_binary;
  const char *bundle;         /* delete only; default cwd */
  const char *socket;         /* serve on this path instead of fd 3 */
  bool debug;
  bool version;
  const char *action;         /* start, delete, or NULL (serve) */
} shim_flags;

int flags_parse (int argc, char **argv, shim_flags *f, char **errmsg);

/* --- logging to the bundle's log FIFO (fd 2 of the daemon) --- */
void shim_log (const char *level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
extern bool shim_debug;
extern int shim_log_fd; /* 2; -1 silences the log (fuzzing) */

/* --- processes and containers --- */
typedef enum pstate
{
  PS_CREATED = 1,
  PS_RUNNING = 2,
  PS_STOPPED = 3,
  PS_PAUSED = 4,
  PS_PAUSING = 5,
  PS_DELETED = 6,
} pstate;

struct process
{
  process *next;
  container *c;
  char *id;                 /* exec id; container id for init */
  bool is_init;
  pstate state;
  pid_t pid;
  uint32_t exit_status;
  int64_t exited_at_ns;     /* wall clock; 0 = not exited */
  bool starting;            /* runtime start/exec in flight */
  unsigned starts_queued;   /* Start jobs queued for it, not run yet (they hold p) */
  bool exit_pending;        /* exited while starting: handle after start */
  int pending_status;
  int64_t pending_at_ns;
  bool exit_published;
  bool terminal;
  char *in, *out, *err;     /* stdio paths as requested */
  stdio *io;
  json_t *spec;             /* exec: OCI process object */
  sc_ttrpc_call **waiters;
  size_t nwaiters;
};

struct container
{
  container *next;
  char *id;
  char *bundle;
  char *runtime;            /* runtime binary (runc, crun, ...) */
  char *root;               /* --root for the runtime: <root>/<ns> */
  bool systemd_cgroup;
  bool no_pivot_root, no_new_keyring;
  bool creating;            /* Create still running */
  bool host_pidns;          /* no private pid namespace: kill all on init exit */
  bool init_exit_held;      /* init exited; its TaskExit waits for running execs */
  int mounts;               /* rootfs mounts we made */
  process *init;
  process *execs;
  job *jobs;                /* serialized runtime operations */
  bool job_running;
};

/* --- global shim state --- */
typedef struct shim
{
  sc_loop *loop;
  sc_ttrpc_server *server;
  const char *ns;
  const char *id;
  const char *address;
  char *socket_path;
  container *containers;
  bool shutting_down;
} shim;

extern shim S;

container *container_find (const char *id);
process *process_find (container *c, const char *exec_id);
void process_free (process *p);
void container_free (container *c);

/* --- jobs: one runtime operation at a time per container --- */
struct job
{
  job *next;
  container *c;
  void (*run) (job *j);
  sc_ttrpc_call *call;      /* NULL once the client went away */
  void *req;                /* unpacked request (freed with the job) */
  process *p;
  void *extra;
  void (*extra_free) (void *); /* set when extra is owned (freed with the job) */
};
job *job_new (container *c, sc_ttrpc_call *call, void *req, void (*run) (job *));
void job_enqueue (job *j);
/* ends the running job and starts the next one */
void job_done (job *j);
/* ends the running job j, answers every job queued behind it NotFound,
 * removes and frees its container */
void container_drop (job *j);

/* --- the runtime CLI, asynchronously --- */
typedef struct rt_result
{
  int status;               /* raw wait status */
  char *out;                /* captured stdout */
  size_t out_len;
  char *err;                /* captured stderr */
} rt_result;
typedef void (*rt_cb) (const rt_result *r, void *data);
/* Runs `<runtime> --root R --log B/log.json --log-format json [--systemd-cgroup] args...`.
 * stdio: fds for the child's 0,1,2 (create/exec hand the container its stdio),
 * or NULL to capture stdout/stderr.  stdin_data is written to its stdin when
 * stdio is NULL.  Returns -1 (message in *errmsg) if it cannot start. */
int rt_run (container *c, const char *const *args, const int *child_stdio, const char *stdin_data,
            rt_cb cb, void *data, char **errmsg);
/* The last "error" message of the runtime's JSON log, or its stderr. */
char *rt_error_message (container *c, const rt_result *r);
bool rt_ok (const rt_result *r);

/* --- reaping --- */
int reaper_init (char **errmsg);
/* an exit the reaper saw before we learned the pid (fast exits) */
bool reaper_take_early_exit (pid_t pid, int *status, int64_t *at_ns);
void reaper_watch_runtime (pid_t pid, void (*cb) (pid_t, int, void *), void *data);
/* process exits are routed to task.c */
void task_process_exited (process *p, int status, int64_t at_ns);
process *task_process_by_pid (pid_t pid);

/* --- stdio --- */
/* Builds the container-side fds for a process: pipes for paths that are set,
 * /dev/null otherwise; with terminal, a console socket instead.  Fills
 * child_fds (to pass to the runtime) and console_path (--console-socket). */
int stdio_prepare (process *p, int child_fds[3], char **console_path, char **errmsg);
/* After the runtime call: closes the child ends, opens the FIFOs, starts
 * copying; for a terminal, receives the pty master asynchronously. */
int stdio_start (process *p, char **errmsg);
void stdio_close_child_fds (process *p);
void stdio_close_stdin (process *p);
int stdio_resize (process *p, uint32_t width, uint32_t height);
/* calls cb once all output is copied, or after timeout_ms */
void stdio_when_drained (process *p, int64_t timeout_ms, void (*cb) (void *), void *data);
void stdio_free (process *p);

/* --- events --- */
void events_init (const char *ttrpc_address, const char *ns);
void events_publish (const char *topic, const ProtobufCMessage *event);
/* runs the loop until the queue is empty or timeout */
void events_flush (int64_t timeout_ms);
size_t events_pending (void);

/* --- task service --- */
void task_register (sc_ttrpc_server *server);
void shim_request_shutdown (void);

/* --- stats --- */
/* runtime `events --stats` JSON -> io.containerd.cgroups.v1.Metrics (packed) */
int stats_from_runtime_json (const char *json, size_t len, uint8_t **out, size_t *out_len,
                             char **errmsg);

/* --- fault injection (only in containerd-shim-reffault-v1) --- */
#ifdef REFSHIM_FAULTS
bool fault (const char *name);
#else
#define fault(name) false
#endif

/* --- start / delete actions --- */
int action_start (const shim_flags *f);
int action_delete (const shim_flags *f);
int serve (const shim_flags *f);

/* id rule of containerd (identifiers.Validate) */
bool valid_id (const char *id, char **why);

#endif
