/* Processes: spawning with captured output and deadlines, waiting with
 * deadlines, and finding/killing what a shim left behind. */
#ifndef SHIMCHECK_PROC_H
#define SHIMCHECK_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

typedef struct sc_run_opts
{
  const char *path;
  char *const *argv;
  char *const *envp;      /* NULL: inherit */
  const char *cwd;
  const void *stdin_data; /* NULL: /dev/null */
  size_t stdin_len;
  bool merge_stderr;      /* stderr into the stdout pipe (containerd's CombinedOutput) */
  bool setpgid;
  int64_t timeout_ms;     /* for the process to exit */
  int64_t eof_grace_ms;   /* after exit, how long to wait for EOF on its output */
} sc_run_opts;

typedef struct sc_run_result
{
  pid_t pid;
  int status;             /* raw wait status */
  bool exited;            /* reaped before the deadline */
  bool timed_out;         /* killed (process group) at the deadline */
  bool output_held_open;  /* exited, but someone else still holds its stdout/stderr */
  char *out;              /* NUL-terminated; stdout (+stderr when merged) */
  size_t out_len;
  char *err;
  size_t err_len;
  int64_t elapsed_ns;
} sc_run_result;

/* Runs a program to completion.  Fails (-1) only when it cannot be started
 * (err says why: missing binary, not executable, ...). */
int sc_run (const sc_run_opts *o, sc_run_result *r, sc_error *err);
void sc_run_result_release (sc_run_result *r);
/* "exited 1", "killed by signal 9", ... into a static buffer */
const char *sc_wait_status_str (int status);

/* The executable file for name: itself if it contains a '/', else the first
 * match in $PATH, then in the standard sbin/bin dirs.  NULL if none. */
char *sc_find_executable (const char *name);

/* pidfd_open(2), -1 on failure */
int sc_pidfd_open (pid_t pid);
/* Alive and not a zombie. */
bool sc_pid_alive (pid_t pid);
/* Waits until pid is gone (reaping it if it is our child), up to timeout_ms.
 * Returns 0 when gone, -1 on timeout. */
int sc_pid_wait_gone (pid_t pid, int64_t timeout_ms, int *status);
/* Number of open fds of pid, -1 if unreadable. */
int sc_pid_count_fds (pid_t pid);
/* Parent pid from /proc, -1 if gone. */
pid_t sc_pid_ppid (pid_t pid);
/* comm of pid into buf ("?" if gone). */
const char *sc_pid_comm (pid_t pid, char *buf, size_t len);

/* Every live descendant of root (by /proc parent links), heap array. */
size_t sc_proc_descendants (pid_t root, pid_t **out);
/* The process serving the unix socket at path (name without '@' when
 * abstract): among root's descendants, the one holding a socket bound to
 * that name (the listener, or a connection accepted on it), closest to root
 * when several do (children inherit fds).  Learned from the kernel
 * (/proc/net/unix, /proc/<pid>/fd), never from what the server says.
 * 0 when no descendant holds it. */
pid_t sc_socket_server_pid (const char *path, bool abstract, pid_t root);
/* SIGKILLs (and thaws) every descendant of root, repeatedly, and reaps our children;
 * returns how many processes were killed. */
size_t sc_proc_kill_descendants (pid_t root);
/* SIGKILLs process group pgid and waits (reaping our children) until no
 * member is left, up to timeout_ms.  0 when the group is gone. */
int sc_kill_pgrp_wait (pid_t pgid, int64_t timeout_ms);
/* Makes this process the reaper of orphaned descendants (so that a shim's
 * daemon, which `start` leaves behind, becomes our child). */
int sc_become_subreaper (sc_error *err);
/* The memory cgroup directory pid is in (from /proc/<pid>/cgroup): cgroup
 * v1's memory controller (with memory.oom_control) if it has one, else the
 * unified hierarchy's (with memory.events), *v2 saying which; NULL (err
 * says why) when it has neither. */
char *sc_proc_memory_cgroup (pid_t pid, bool *v2, sc_error *err);
/* A unified cgroup v2 host: cgroup2 mounted at /sys/fs/cgroup (not v1, not
 * hybrid), as containerd tells the modes apart. */
bool sc_cgroup_unified (void);
/* Whether pid's cgroup accounts CONTROLLER: V1FILE in its v1 hierarchy of
 * that controller, or V2FILE in its unified cgroup, exists. */
bool sc_proc_cgroup_has (pid_t pid, const char *controller, const char *v1file, const char *v2file);
/* Thaws the freezer cgroup pid is in (v1 freezer.state, v2 cgroup.freeze):
 * a process in a frozen cgroup cannot die of SIGKILL until then (a paused
 * container, or an exec runc started into one). */
void sc_proc_thaw (pid_t pid);
/* Reaps any exited children without blocking; returns how many. */
int sc_reap_children (void);

#endif
