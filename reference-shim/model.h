/* containerd-shim-ref-v1: the data of the task service.  Types only; the
 * functions that change them live in one module each (registry.c: lookup,
 * jobs.c: the per-container queue, process.c: the process state machine).
 *
 * No globals: every function reaches this through the task_service it is
 * given, or through the container/process it acts on. */
#ifndef REFSHIM_MODEL_H
#define REFSHIM_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ttrpc_server.h"

typedef struct task_service task_service;
typedef struct container container;
typedef struct process process;
typedef struct stdio stdio;
typedef struct job job;
typedef struct shim_host shim_host;

/* A process's life, one named state at a time (process.c has one function
 * per transition, each checking where it comes from):
 *
 *   CREATING --created--> CREATED --start_begin--> STARTING --start_ok--> RUNNING
 *                            ^                        |  \                 |  ^
 *                            '----start_failed--------'   exited           |  | resume
 *                                                         v              pause|
 *                                               START_EXITED           PAUSING -> PAUSED
 *   (any of CREATED..PAUSED) --exited--> STOPPED, or EXIT_HELD for an init
 *   whose execs still run (its exit is published after theirs: EXIT_HELD ->
 *   STOPPED); CREATED/STOPPED/EXIT_HELD --delete--> DELETED.
 * CREATING is an init whose runtime create is still running: its task is
 * not visible to any RPC yet. */
typedef enum pstate
{
  PS_CREATING,
  PS_CREATED,
  PS_STARTING,     /* runtime start/exec in flight */
  PS_START_EXITED, /* exited while its start was in flight: recorded once the start ends */
  PS_RUNNING,
  PS_PAUSING,
  PS_PAUSED,
  PS_EXIT_HELD,    /* init exited; its exit waits for the running execs' */
  PS_STOPPED,
  PS_DELETED,
} pstate;

struct process
{
  process *next;
  container *c;
  char *id;                 /* exec id; container id for init */
  bool is_init;
  pstate state;
  pid_t pid;
  uint32_t exit_status;     /* valid from START_EXITED/EXIT_HELD/STOPPED on */
  int64_t exited_at_ns;     /* wall clock; 0 = not exited */
  unsigned starts_queued;   /* Start jobs queued for it, not run yet (they hold p) */
  bool watched;             /* its exit is watched through the host */
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
  task_service *svc;
  char *id;
  char *bundle;
  char *runtime;            /* runtime binary (runc, crun, ...) */
  char *root;               /* --root for the runtime: <root>/<ns> */
  bool systemd_cgroup;
  bool no_pivot_root, no_new_keyring;
  uint32_t io_uid, io_gid;  /* owner of the container side of its stdio pipes */
  bool host_pidns;          /* no private pid namespace: kill all on init exit */
  int mounts;               /* rootfs mounts we made */
  char **mount_targets;     /* each one's target inside the rootfs ("" = the rootfs), NULL in fakes */
  void *oom;                /* the host's OOM watch of its memory cgroup, or NULL */
  process *init;
  process *execs;
  job *jobs;                /* serialized runtime operations */
  bool job_running;
};

/* What a queued operation carries besides its request: one member per kind
 * that needs more (owned members are freed with the job, jobs.c). */
typedef enum job_kind
{
  JOB_CREATE,
  JOB_START,
  JOB_KILL,
  JOB_KILL_ALL,
  JOB_DELETE,
  JOB_PAUSE,
  JOB_RESUME,
  JOB_UPDATE,
  JOB_PIDS,
  JOB_STATS,
} job_kind;

struct job
{
  job *next;
  container *c;
  job_kind kind;
  void (*run) (job *j);
  sc_ttrpc_call *call;      /* NULL once answered or once the client went away */
  bool abandoned;           /* its client went away before it was answered */
  void *req;                /* unpacked request (freed with the job) */
  process *p;               /* the process it acts on, if any */
  union
  {
    struct
    {
      bool started;         /* the init had run (exit status is real) */
    } del;
    struct
    {
      char *resources;      /* owned: compact JSON for `update --resources -` */
    } update;
    struct
    {
      char *specfile;       /* owned: <bundle>/.exec-<id>.json while exec runs */
      int fds[3];           /* an exec's stdio while its logger gets ready */
      char *console;        /* not owned (the process's stdio owns it) */
    } start;
    struct
    {
      int fds[3];           /* the init's stdio while its logger gets ready */
      char *console;        /* not owned */
    } create;
  } u;
};

/* The task service: what every handler is given. */
struct task_service
{
  sc_loop *loop;
  shim_host *host;
  const char *ns;
  container *containers;
};

#endif
