/* The conformance catalogue: cases with stable ids, levels and references,
 * and the API a case body uses (t_*).  Each case runs in its own child
 * process with its own shim, namespace, bundle, FIFOs and events sink. */
#ifndef SHIMCHECK_CATALOGUE_H
#define SHIMCHECK_CATALOGUE_H

#include <jansson.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "containerd/task/shim.pb-c.h"
#include "env.h"
#include "events_sink.h"
#include "launcher.h"

typedef enum sc_level
{
  SC_MUST = 0,   /* containerd's runtime-v2 doc says MUST, or containerd breaks without it */
  SC_SHOULD = 1, /* SHOULD, or what a correct shim does where containerd copes either way */
  SC_COMPAT = 2, /* what containerd-shim-runc-v2 does where the doc is silent */
} sc_level;

const char *sc_level_name (sc_level l);

typedef struct sc_t sc_t;
typedef void (*sc_case_fn) (sc_t *t);

typedef struct sc_case
{
  const char *id;      /* group.name, stable */
  sc_level level;
  const char *title;
  const char *ref;     /* what a reader can open: containerd's doc, source or test at a tag,
                        * and the section of docs/shim-behaviour.md (tests/conformance/
                        * references.sh checks every one) */
  sc_case_fn fn;
  int timeout_s;       /* 0: the default (30 s), scaled by --timeout-scale */
} sc_case;

extern const sc_case sc_catalogue[];
extern const int sc_catalogue_len;
/* the case with this id, or NULL */
const sc_case *sc_case_find (const char *id);
/* "bootstrap" from "bootstrap.start-prints-one-address" into a static buffer */
const char *sc_case_group (const sc_case *c);
/* Version-sensitive cases (catalogue.c says which, and why): what a shim
 * must do differs per containerd version.  sc_case_applies says whether c
 * means anything under profile p, and with which level (*level); a case
 * that is not version-sensitive applies everywhere at its own level. */
bool sc_case_versioned (const sc_case *c);
bool sc_case_applies (const sc_case *c, const sc_profile *p, sc_level *level);
/* "containerd >= 2.3", "containerd 1.6", ... for c's profile range (static) */
const char *sc_case_versions_text (const sc_case *c);

/* Capability tags: what a case needs beyond the task API itself (a
 * terminal, the cgroup freezer, runc's own options, ...).  A shim that
 * does not have one says so (`run --without TAG`): its cases are then not
 * applicable, reported as such and listed on the certificate, never
 * counted as passed. */
typedef struct sc_capability
{
  const char *tag;
  const char *what;
} sc_capability;
extern const sc_capability sc_capabilities[];
extern const int sc_capabilities_len;
const sc_capability *sc_capability_find (const char *tag);
/* c's tags, comma-separated ("" for none; static storage) */
const char *sc_case_tags (const sc_case *c);
bool sc_case_has_tag (const sc_case *c, const char *tag);
/* the tables that name cases by id (versions, tags) name real cases and
 * known tags: -1 and *why (static) otherwise */
int sc_catalogue_selfcheck (char **why);

typedef struct sc_run_config
{
  const char *shim;           /* absolute path of the shim under test */
  const char *runtime_binary; /* optional: passed as runc Options.binary_name */
  const char *rootfs;         /* busybox rootfs, built once per run */
  double scale;               /* timeout scale */
  const char *runtime_for_cleanup; /* runtime CLI used to clean up leftovers */
  const sc_profile *profile;  /* the containerd the runner acts as */
} sc_run_config;

typedef enum sc_status
{
  SC_PASS = 0,
  SC_FAIL = 1,
  SC_SKIP = 2,
  SC_ERROR = 3, /* shimcheck itself could not run the case */
  SC_INTERRUPTED = 4, /* the run was stopped (SIGINT/SIGTERM) before the case ended */
} sc_status;

/* stdio of a process, made the way containerd's cio does */
typedef struct sc_io
{
  char *in, *out, *err; /* FIFO paths ("" when not used) */
  int in_fd, out_fd, err_fd;
} sc_io;

struct sc_t
{
  const sc_case *c;
  const sc_run_config *cfg;
  sc_env env;
  sc_shim *shim;
  char *dir;          /* case dir: transcript, result */
  int transcript_fd;
  sc_status status;
  char *message;
  char **evidence;
  size_t nevidence;
  jmp_buf jb;
  char *address;      /* the shim's socket, for cleanup by the runner */
  int launches;
  char **tasks;       /* created and not deleted: teardown ends them */
  size_t ntasks;
  bool last_local;    /* the last RPC's status was made on our side (no reply) */
  char *last_message; /* the last RPC's status message ("" for none) */
  bool debug_launch;  /* launch with -debug (containerd at log level debug) */
  const char *socket_dir; /* 2.3: BootstrapParams.socket_dir for the next launches */
  struct sc_owned
  {
    void *p;
    void (*free_fn) (void *);
  } *owned;           /* the case's arena: freed when the case ends, however it ends */
  size_t nowned;
};

/* --- the case's arena: what a case keeps is freed when it ends (a failing
 * assertion longjmps, so scope cleanup cannot run in case code) --- */
void *t_keep (sc_t *t, void *p, void (*free_fn) (void *));
void *t_keep_pb (sc_t *t, void *msg);  /* an unpacked protobuf-c message */
char *t_keep_str (sc_t *t, char *s);   /* a heap string */

/* --- outcome (never return) --- */
void t_fail (sc_t *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3), noreturn));
void t_skip (sc_t *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3), noreturn));
/* evidence for the report (also in the transcript) */
void t_note (sc_t *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void t_log (sc_t *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define T_REQUIRE(t, cond, ...)                                                                    \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        t_fail ((t), __VA_ARGS__);                                                                 \
    }                                                                                              \
  while (0)

int64_t t_ms (sc_t *t, int64_t ms); /* scaled deadline */

/* --- bundles and the shim --- */
/* A bundle <state>/<ns>/<id> for a spec running args (NULL: sleep 3600),
 * whose root is the run's shared busybox rootfs.  The path is the case's
 * (arena). */
char *t_bundle (sc_t *t, const char *id, const char *const *args, bool terminal);
char *t_bundle_spec (sc_t *t, const char *id, json_t *spec); /* takes spec */
json_t *t_spec (sc_t *t, const char *const *args, bool terminal);
/* Launches the shim under test as containerd does for task id (bundle must
 * exist), connects, learns its pid by Connect. */
sc_shim *t_launch (sc_t *t, const char *id, const char *bundle);
/* the same with these runtime options on start's stdin (a packed Any) */
sc_shim *t_launch_options (sc_t *t, const char *id, const char *bundle,
                           const Google__Protobuf__Any *options);
/* a bundle for id (sleep 3600) and the shim launched for it, no task yet */
void t_launched (sc_t *t, const char *id);
/* t_bundle + t_launch + Create + Start of `args` (NULL: sleep 3600) */
uint32_t t_running (sc_t *t, const char *id, const char *const *args);

/* --- RPCs: each is recorded in the transcript; they return the code.  A
 * decoded reply belongs to the case's arena (never free it); message, when
 * not NULL, gets the status message (the caller's to free). --- */
int t_rpc (sc_t *t, const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp,
           char **message);
/* Create with the request as given; adds the run's runtime options unless
 * the request has its own, and tracks the task for teardown */
int t_create_req (sc_t *t, Containerd__Task__V2__CreateTaskRequest *r, uint32_t *pid,
                  char **message);
/* a task created some other way (an async Create) that teardown must end */
void t_track_task (sc_t *t, const char *id);
int t_create (sc_t *t, const char *id, const char *bundle, const sc_io *io, uint32_t *pid,
              char **message);
int t_start (sc_t *t, const char *id, const char *exec_id, uint32_t *pid, char **message);
int t_kill (sc_t *t, const char *id, const char *exec_id, uint32_t sig, bool all, char **message);
int t_wait (sc_t *t, const char *id, const char *exec_id, uint32_t *status, int64_t *exited_at_ns,
            char **message);
int t_delete (sc_t *t, const char *id, const char *exec_id,
              Containerd__Task__V2__DeleteResponse **resp, char **message);
int t_state (sc_t *t, const char *id, const char *exec_id,
             Containerd__Task__V2__StateResponse **resp, char **message);
int t_exec (sc_t *t, const char *id, const char *exec_id, const char *const *args,
            const sc_io *io, bool terminal, char **message);
int t_exec_json (sc_t *t, const char *id, const char *exec_id, const char *process_json,
                 const sc_io *io, bool terminal, char **message);
int t_simple (sc_t *t, const char *method, const char *id, char **message); /* Pause, Resume, Pids, Stats, ... */

/* Wait without blocking: the reply lands in *w */
typedef struct sc_waiter
{
  bool done;
  int code;
  uint32_t status;
  int64_t exited_at_ns;
  char *message;
} sc_waiter;
/* Wait sent without waiting for it; the waiter (and its message) belongs
 * to the case's arena, which outlives the connection */
sc_waiter *t_wait_async (sc_t *t, const char *id, const char *exec_id);
/* any task RPC sent without waiting (pipelined): its code and message
 * (status stays 0); the waiter is the arena's, as above */
sc_waiter *t_call_async (sc_t *t, const char *method, const ProtobufCMessage *req);
/* runs the loop until w answered or timeout; false on timeout */
bool t_wait_for (sc_t *t, sc_waiter *w, int64_t timeout_ms);

/* Expectations (fail the case otherwise).  The T_* forms take the RPC call
 * itself and read its status message from the case (t->last_message):
 *   T_OK (t, t_start (t, "c1", NULL, &pid, NULL), "Start");
 * the functions take the address of a message variable the RPC filled
 * instead, read it after the call and free it. */
void t_ok (sc_t *t, int code, char **message, const char *what);
void t_not_ok (sc_t *t, int code, char **message, const char *what);
void t_code (sc_t *t, int code, char **message, int want, const char *what);
#define T_OK(t, rpc, what) t_ok ((t), (rpc), NULL, (what))
#define T_NOT_OK(t, rpc, what) t_not_ok ((t), (rpc), NULL, (what))
#define T_CODE(t, rpc, want, what) t_code ((t), (rpc), NULL, (want), (what))
/* libuv-style: the failure names both expressions and both values */
void t_expect_eq (sc_t *t, long long a, long long b, const char *ea, const char *eb,
                  const char *file, int line);
void t_expect_streq (sc_t *t, const char *a, const char *b, const char *ea, const char *eb,
                     const char *file, int line);
#define T_EQ(t, a, b) t_expect_eq ((t), (long long) (a), (long long) (b), #a, #b, __FILE__, __LINE__)
#define T_STREQ(t, a, b) t_expect_streq ((t), (a), (b), #a, #b, __FILE__, __LINE__)

/* --- events --- */
/* the first event with topic about container_id (and, if exec_or_id is not
 * NULL, whose exec_id, or id, is exec_or_id), waiting up to timeout_ms
 * (scaled); the case fails if none arrives */
const sc_event *t_event (sc_t *t, const char *topic, const char *container_id, const char *exec_or_id,
                         int64_t timeout_ms);
/* topics of the events about container_id so far, "create,start,exit" style */
char *t_topics (sc_t *t, const char *container_id);
size_t t_count_events (sc_t *t, const char *topic, const char *container_id, const char *id);

/* --- stdio --- */
void t_io (sc_t *t, const char *name, bool with_stdin, bool with_stderr, sc_io *io);
/* reads out (or err) until EOF or timeout */
char *t_io_read (sc_t *t, int fd, int64_t timeout_ms, size_t *len);
void t_io_close (sc_io *io);

/* --- rootfs mounts, as containerd hands over a snapshot --- */
/* a bundle with root.path "rootfs", the shim launched, Create with a bind
 * mount of the run's rootfs (Create only); the bundle path (arena) */
char *t_create_with_rootfs_mount (sc_t *t, const char *id, const char *const *args);
/* is <bundle>/rootfs (or anything under it) a mount point? */
/* a mount at path or anywhere below it */
bool t_mounted_under (const char *path);
bool t_rootfs_mounted (const char *bundle);

/* --- files on the host (loggers' output, file:// stdio) --- */
char *t_read_file (sc_t *t, const char *path); /* whole file (arena), NULL if missing */
/* text with mode; a failure is the runner's own error */
void t_write_file (sc_t *t, const char *path, const char *text, mode_t mode);
/* polls (10 ms, the loop turning) until path exists; false at the deadline */
bool t_wait_file (sc_t *t, const char *path, int64_t timeout_ms);

/* --- the whole containerd teardown of the case's shim; checks nothing --- */
void t_teardown (sc_t *t);

/* every address a start printed goes here: the runner removes the dead
 * sockets after the case, whatever happened */
void t_record_address (sc_t *t, const char *address);
/* a runtime wrapper script that logs its calls (and optionally sleeps on
 * create) in the case dir; returns its path */
char *t_runtime_wrapper (sc_t *t, const char *name, int sleep_on_create_s);
/* packed google.protobuf.Any of containerd.runc.v1.Options{binary_name} */
void t_options_any (const char *binary_name, Google__Protobuf__Any *any);
/* launches the shim for id and Creates it with runtime options *any (the
 * start and the Create both get them, as from containerd); clears *any;
 * the init's pid */
uint32_t t_create_with_options (sc_t *t, const char *id, const char *const *args, Google__Protobuf__Any *any,
                                const char *what);
/* the same with the runtime's state root (runc --root <root>/<namespace>) */
void t_options_any_root (const char *binary_name, const char *root, Google__Protobuf__Any *any);

/* --- running one case in this (child) process --- */
sc_status sc_case_run (const sc_case *c, const sc_run_config *cfg, const char *dir);

#endif
