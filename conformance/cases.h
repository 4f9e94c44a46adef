/* The catalogue, once: X(function, id, level, timeout_s, title, reference).
 * catalogue.c builds the table from it; the case files define the functions. */
#ifndef SHIMCHECK_CASES_H
#define SHIMCHECK_CASES_H

#include "catalogue.h"
#include "containerd/events/task.pb-c.h"

#define CASE(fn) void fn (sc_t *t)

#define SC_CASES(X)                                                                                \
  /* bootstrap */                                                                                  \
  X (bootstrap_start_prints_one_address, "bootstrap.start-prints-one-address", SC_MUST, 0,         \
     "start exits 0 and prints one address, nothing else", "containerd v1.7.24 runtime/v2/README.md \"start\"; docs/shim-behaviour.md#daemon") \
  X (bootstrap_start_exits_promptly, "bootstrap.start-exits-promptly", SC_MUST, 0,                 \
     "start exits promptly and leaves no process holding its output",                              \
     "containerd v1.6.20 runtime/v2/binary.go (start output read with CombinedOutput); docs/shim-behaviour.md#daemon") \
  X (bootstrap_socket_is_private_path, "bootstrap.socket-is-private-path", SC_MUST, 0,             \
     "the shim socket is a filesystem path with mode 0600, never abstract",                        \
     "CVE-2020-15257 (GHSA-36xw-fx78-c5r4); docs/shim-behaviour.md#socket")                        \
  X (bootstrap_second_start_same_address, "bootstrap.second-start-same-address", SC_SHOULD, 0,     \
     "a second start for the same group returns the same address",                                 \
     "docs/shim-behaviour.md#socket, #grouping")                                                   \
  X (bootstrap_delete_after_sigkill, "bootstrap.delete-after-sigkill", SC_MUST, 0,                 \
     "delete after a SIGKILLed shim answers the init's pid, 137 and exited_at, removes the task, unmounts its rootfs",                 \
     "containerd v1.7.24 runtime/v2/README.md \"delete\"; containerd v1.6.20 runtime/v2/shim.go (cleanupAfterDeadShim); docs/shim-behaviour.md#delete-binary") \
  X (bootstrap_namespace_required, "bootstrap.namespace-required", SC_SHOULD, 0,                   \
     "start without -namespace fails", "containerd v1.6.20 runtime/v2/shim/shim.go (shim namespace cannot be empty); docs/shim-behaviour.md#daemon") \
  X (bootstrap_long_namespace_and_id, "bootstrap.long-namespace-and-id", SC_MUST, 0,               \
     "a 76-character namespace and a 64-character id still work", "TestShimSockLength (containerd v1.7.24 integration/client/container_test.go)") \
  X (bootstrap_version_flag, "bootstrap.version-flag", SC_SHOULD, 0, "-v prints a version and exits 0", \
     "containerd v1.7.24 runtime/v2/README.md \"Debugging and Shim Logs\"; docs/shim-behaviour.md#daemon") \
  X (bootstrap_connect_reports_shim_pid, "bootstrap.connect-reports-shim-pid", SC_MUST, 0,         \
     "Connect reports the pid of the live serving daemon", "docs/shim-behaviour.md#other-calls, #connect") \
  X (bootstrap_reconnect_after_restart, "bootstrap.reconnect-after-restart", SC_MUST, 0,           \
     "after every connection closed, a new one finds the shim and its running task: Connect, Pids, Kill, Wait, the exit", \
     "TestDaemonRestart (containerd v1.7.24 integration/client/container_test.go); containerd v1.7.24 runtime/v2/shim_load.go; containerd v2.1.9 core/runtime/v2/shim_load.go; docs/shim-behaviour.md#reload") \
  X (bootstrap_oom_score, "bootstrap.oom-score", SC_SHOULD, 0,                                   \
     "the shim's daemon gets its parent's (containerd's) oom_score_adj + 1",                      \
     "TestShimOOMScore (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#daemon") \
  X (bootstrap_shim_cgroup, "bootstrap.shim-cgroup", SC_SHOULD, 0,                               \
     "runc options' shim_cgroup puts the shim's daemon into that cgroup",                          \
     "TestShimInCgroup (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#options") \
  X (bootstrap_log_reader_reopens, "bootstrap.log-reader-reopens", SC_MUST, 0,                   \
     "the shim keeps serving while its log FIFO has no reader and after a new one opens (a containerd restart)", \
     "containerd v1.7.24 runtime/v2/shim/shim_unix.go (setupSignals and openLog); docs/shim-behaviour.md#reload") \
  X (bootstrap_log_fifo_written, "bootstrap.log-fifo-written", SC_COMPAT, 0,                       \
     "the shim logs to the bundle's log FIFO", "containerd v1.6.20 runtime/v2/shim/shim_unix.go (the log FIFO is the daemon stderr); docs/shim-behaviour.md#daemon") \
  X (bootstrap_containerd16_address, "bootstrap.containerd16-address", SC_SHOULD, 0,               \
     "start prints a plain unix:// address containerd 1.6 can use", "docs/shim-behaviour.md#daemon") \
  X (bootstrap_bootstrap_protocol, "bootstrap.bootstrap-protocol", SC_MUST, 0,                     \
     "start takes BootstrapParams on stdin and answers a protobuf BootstrapResult",               \
     "containerd v2.3.4 docs/runtime-v2.md \"Bootstrap protocol (2.3+)\"; containerd v2.3.4 "      \
     "api/runtime/bootstrap/v1/bootstrap.proto; docs/containerd-versions.md#bootstrap")           \
  X (bootstrap_socket_dir_honoured, "bootstrap.socket-dir-honoured", SC_SHOULD, 0,                 \
     "the socket goes into BootstrapParams.socket_dir and is served from there",                  \
     "containerd v2.3.4 api/runtime/bootstrap/v1/bootstrap.proto (socket_dir); docs/containerd-versions.md#bootstrap") \
  X (bootstrap_info_flag, "bootstrap.info-flag", SC_SHOULD, 0,                                     \
     "-info prints a RuntimeInfo naming the runtime, with the options it was given",              \
     "containerd v2.1.5 core/runtime/v2/README.md (-info); containerd v2.3.4 "                    \
     "core/runtime/v2/task_manager.go (getRuntimeInfo); docs/containerd-versions.md#info")        \
  /* create */                                                                                     \
  X (create_pid_matches_state, "create.pid-matches-state", SC_MUST, 0,                             \
     "Create returns pid > 0 and State reports it, CREATED", "docs/shim-behaviour.md#states, #other-calls") \
  X (create_event_fields, "create.event-fields", SC_MUST, 0,                                       \
     "TaskCreate carries the request's id, bundle, io and the pid", "docs/shim-behaviour.md#events") \
  X (create_duplicate_rejected, "create.duplicate-rejected", SC_MUST, 0,                           \
     "Create of an existing id fails", "docs/shim-behaviour.md#errors")                            \
  X (create_duplicate_already_exists, "create.duplicate-already-exists", SC_SHOULD, 0,             \
     "Create of an existing id answers AlreadyExists", "containerd v1.6.20 errdefs/grpc.go; docs/shim-behaviour.md#errors") \
  X (create_init_dies_during_create, "create.init-dies-during-create", SC_MUST, 0,               \
     "an init that dies right after the runtime's create leaves a STOPPED task whose Wait answers", \
     "TestIssue9103 (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#wait") \
  X (create_overlay_rootfs, "create.overlay-rootfs", SC_MUST, 0,                                 \
     "an overlay rootfs from Create is mounted writable (the init's write is in the upper dir, an exec reads it) and gone after Delete", \
     "containerd v1.7.24 snapshots/overlay/overlay.go (the mounts a shim gets); containerd v1.7.24 runtime/v2/README.md \"delete\"; docs/shim-behaviour.md#rootfs") \
  X (create_mount_targets, "create.mount-targets", SC_SHOULD, 0,                                 \
     "rootfs mounts with a target go onto that directory inside the rootfs, parents first; Delete unmounts them all", \
     "containerd v1.7.24 mount/mount.go (All, Mount: target joined with fs.RootPath); docs/shim-behaviour.md#rootfs") \
  X (create_mount_target_contained, "create.mount-target-contained", SC_MUST, 0,                  \
     "a mount target that is a symlink in the rootfs never leads to a host path",                  \
     "containerd v1.7.24 mount/mount.go (Mount: fs.RootPath); docs/shim-behaviour.md#rootfs")     \
  X (create_overlay_long_lowerdir, "create.overlay-long-lowerdir", SC_SHOULD, 0,                 \
     "an overlay whose lowerdir list is longer than a page of options still mounts",               \
     "containerd v1.7.24 mount/mount_linux.go (compactLowerdirOption); docs/shim-behaviour.md#rootfs") \
  X (create_pod_shares_one_shim, "create.pod-shares-one-shim", SC_SHOULD, 0,                     \
     "a pod's containers (io.kubernetes.cri.sandbox-id) share one shim; the second joins the first's namespaces by path", \
     "containerd v1.7.24 runtime/v2/runc/manager/manager_linux.go (groupLabels); docs/shim-behaviour.md#grouping") \
  X (create_missing_bundle, "create.missing-bundle", SC_MUST, 0, "Create with a missing bundle fails", \
     "docs/shim-behaviour.md#errors")                                                              \
  X (create_invalid_config, "create.invalid-config", SC_MUST, 0,                                   \
     "Create with an invalid config.json fails, publishes nothing, the shim lives on",             \
     "docs/shim-behaviour.md#robustness")                                                          \
  X (create_missing_binary, "create.missing-binary", SC_MUST, 0,                                   \
     "Create of a missing process binary fails, publishes nothing, leaves no task",                \
     "TestContainerNoBinaryExists (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#errors") \
  X (create_rootfs_mounts_honoured, "create.rootfs-mounts-honoured", SC_MUST, 0,                   \
     "the request's rootfs mounts are mounted for the task and gone after Delete",                 \
     "containerd v1.7.24 runtime/v2/README.md \"Root Filesystems\"; docs/shim-behaviour.md#options") \
  X (create_options_binary_name, "create.options-binary-name", SC_MUST, 0,                         \
     "options containerd.runc.v1.Options binary_name selects the runtime",                         \
     "TestContainerRuntimeOptionsv2 (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#options") \
  X (create_options_missing_runtime, "create.options-missing-runtime", SC_SHOULD, 0,               \
     "a missing runtime binary fails Create with an error naming it", "TestContainerRuntimeOptionsv2 (containerd v1.7.24 integration/client/container_linux_test.go)") \
  X (create_options_types_accepted, "create.options-types-accepted", SC_SHOULD, 0,               \
     "start and Create accept every options type containerd sends (runc.v1.Options, the legacy "   \
     "linux.runc.CreateOptions, CRI's runtimeoptions.v1.Options)",                                  \
     "containerd v1.7.24 task_opts_unix.go (WithNoPivotRoot); containerd v1.7.24 "                 \
     "pkg/cri/server/helpers.go (generateRuntimeOptions); docs/shim-behaviour.md#options")         \
  X (create_unknown_id_state_notfound, "create.unknown-id-state-notfound", SC_MUST, 0,             \
     "State of an unknown id answers NotFound", "docs/shim-behaviour.md#errors")                   \
  /* start */                                                                                      \
  X (start_running_state, "start.running-state", SC_MUST, 0, "after Start, State is RUNNING",      \
     "docs/shim-behaviour.md#states")                                                              \
  X (start_event_after_create, "start.event-after-create", SC_MUST, 0,                             \
     "TaskStart follows TaskCreate with the created pid", "containerd v1.7.24 runtime/v2/README.md \"Events\"") \
  X (start_pid_equals_create, "start.pid-equals-create", SC_MUST, 0,                               \
     "Start returns the pid Create returned", "docs/shim-behaviour.md#other-calls")                \
  X (start_stdout_delivered, "start.stdout-delivered", SC_MUST, 0,                                 \
     "the task's stdout reaches the stdout FIFO", "TestContainerOutput (containerd v1.7.24 integration/client/container_test.go)") \
  X (start_twice_rejected, "start.twice-rejected", SC_MUST, 0, "a second Start fails", "docs/shim-behaviour.md#errors") \
  X (start_unknown_id_notfound, "start.unknown-id-notfound", SC_MUST, 0,                           \
     "Start of an unknown id answers NotFound", "docs/shim-behaviour.md#errors")                   \
  X (start_init_user_from_spec, "start.init-user-from-spec", SC_MUST, 0,                         \
     "the init runs as the spec's uid, gid and additional gids",                                  \
     "TestContainerUser (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#process") \
  X (start_hostname_from_spec, "start.hostname-from-spec", SC_SHOULD, 0,                           \
     "the task sees the spec's hostname", "TestContainerHostname (containerd v1.7.24 integration/client/container_test.go)") \
  /* signal */                                                                                     \
  X (signal_sigkill_137, "signal.sigkill-137", SC_MUST, 0, "SIGKILL gives exit status 137",        \
     "TestContainerKill (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#kill") \
  X (signal_sigterm_trapped, "signal.sigterm-trapped", SC_MUST, 0,                                 \
     "SIGTERM reaches a trapping task, which exits with its own code", "docs/shim-behaviour.md#kill") \
  X (signal_sigusr1_delivered, "signal.sigusr1-delivered", SC_MUST, 0,                             \
     "SIGUSR1 is delivered and handled", "docs/shim-behaviour.md#kill")                            \
  X (signal_kill_all_reaches_execs, "signal.kill-all-reaches-execs", SC_SHOULD, 0,                 \
     "Kill with all=true reaches the exec processes", "TestContainerKillAll (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#kill") \
  X (signal_kill_unknown_id_notfound, "signal.kill-unknown-id-notfound", SC_MUST, 0,               \
     "Kill of an unknown id answers NotFound", "docs/shim-behaviour.md#errors")                    \
  X (signal_kill_unknown_exec_notfound, "signal.kill-unknown-exec-notfound", SC_MUST, 0,           \
     "Kill of an unknown exec answers NotFound", "docs/shim-behaviour.md#errors")                  \
  X (signal_kill_exited_notfound, "signal.kill-exited-notfound", SC_COMPAT, 0,                     \
     "Kill of an exited task answers NotFound", "docs/shim-behaviour.md#errors, #robustness")      \
  X (signal_kill_created_exec_rejected, "signal.kill-created-exec-rejected", SC_SHOULD, 0,         \
     "Kill of an exec that was never started fails", "docs/shim-behaviour.md#errors")              \
  X (signal_kill_after_runtime_deleted, "signal.kill-after-runtime-deleted", SC_SHOULD, 0,       \
     "Kill of a task whose runtime state was deleted behind the shim answers NotFound; its Wait answers", \
     "TestKillContainerDeletedByRunc (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#kill") \
  X (signal_kill_created_task, "signal.kill-created-task", SC_SHOULD, 0,                           \
     "SIGKILL of a created task ends it: Wait answers 137", "TestIssue9103 (containerd v1.7.24 integration/client/container_linux_test.go)") \
  /* exec */                                                                                       \
  X (exec_exit_code, "exec.exit-code", SC_MUST, 0, "an exec's exit code reaches Wait and Delete",  \
     "TestContainerExec (containerd v1.7.24 integration/client/container_test.go)")                \
  X (exec_wait_after_exit, "exec.wait-after-exit", SC_MUST, 0,                                   \
     "a Wait asked after an exec exited returns its status at once",                              \
     "TestWaitStoppedProcess (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#wait") \
  X (exec_output, "exec.output", SC_MUST, 0, "an exec's stdout and stderr reach their FIFOs",      \
     "docs/shim-behaviour.md#stdio")                                                               \
  X (exec_event_order, "exec.event-order", SC_MUST, 0,                                             \
     "exec-added, exec-started (pid), exit (exec id, status), in that order",                      \
     "containerd v1.7.24 runtime/v2/README.md \"Events\"")                                         \
  X (exec_duplicate_rejected, "exec.duplicate-rejected", SC_MUST, 0,                               \
     "a second Exec with the same id fails", "docs/shim-behaviour.md#errors")                      \
  X (exec_duplicate_already_exists, "exec.duplicate-already-exists", SC_SHOULD, 0,                 \
     "a second Exec with the same id answers AlreadyExists", "docs/shim-behaviour.md#errors")      \
  X (exec_missing_binary_fails, "exec.missing-binary-fails", SC_MUST, 0,                           \
     "an exec of a missing binary fails and publishes no exec-started",                            \
     "TestContainerExecNoBinaryExists (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#events") \
  X (exec_while_paused_rejected, "exec.while-paused-rejected", SC_SHOULD, 0,                       \
     "Exec in a paused task fails", "docs/shim-behaviour.md#errors")                               \
  X (exec_after_init_exit_rejected, "exec.after-init-exit-rejected", SC_MUST, 0,                   \
     "exec Start racing the init's death from outside fails, and after it too; the init's exit is last", "TestIssue10589 (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#events, #errors") \
  X (exec_user_cwd_env, "exec.user-cwd-env", SC_MUST, 0,                                         \
     "an exec runs with its process spec's uid, gid, cwd and env",                                 \
     "TestContainerUser (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#other-calls") \
  X (exec_kill_running_exec, "exec.kill-running-exec", SC_MUST, 0,                                \
     "Kill with an exec id kills that exec (137) and leaves the init running",                     \
     "TestProcessForceDelete (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#kill") \
  X (exec_delete_running_rejected, "exec.delete-running-rejected", SC_MUST, 0,                    \
     "Delete of a running exec fails and leaves it; after its exit Delete works",                   \
     "TestDeleteRunningContainer (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#delete") \
  X (exec_kill_exited_notfound, "exec.kill-exited-notfound", SC_COMPAT, 0,                        \
     "Kill of an exited exec answers NotFound, as the runc shim does",                             \
     "containerd v1.7.24 pkg/process/exec.go (kill: process already finished); docs/shim-behaviour.md#kill") \
  X (exec_background_child_holds_stdout, "exec.background-child-holds-stdout", SC_MUST, 0,       \
     "an exec whose background child keeps its stdout open still gets its exit, and Delete does not wait for the child", \
     "containerd v1.7.24 pkg/process/exec.go (delete waits for the copies with a timeout); docs/shim-behaviour.md#delete") \
  X (exec_large_argument, "exec.large-argument", SC_MUST, 0, "a 20,000-character exec argument arrives", \
     "TestContainerLargeExecArgs (containerd v1.7.24 integration/client/container_test.go)")       \
  X (exec_terminal, "exec.terminal", SC_MUST, 0, "an exec with a terminal gets a pty stream",      \
     "TestContainerExecLargeOutputWithTTY (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#terminal") \
  X (exec_resize_pty, "exec.resize-pty", SC_SHOULD, 0,                                           \
     "ResizePty with an exec id sets that exec's terminal size",                                  \
     "containerd v1.7.24 cmd/ctr/commands/tasks/exec.go (resize after Start); docs/shim-behaviour.md#terminal") \
  X (exec_terminal_output_complete, "exec.terminal-output-complete", SC_MUST, 60,                  \
     "ten tty execs in a row each deliver all of a large output, byte for byte, before Delete",   \
     "TestContainerExecLargeOutputWithTTY (containerd v1.7.24 "                                   \
     "integration/client/container_test.go); docs/shim-behaviour.md#terminal")                     \
  X (exec_pids_with_details, "exec.pids-with-details", SC_SHOULD, 0,                               \
     "Pids lists exec pids with ProcessDetails{exec_id}", "TestContainerPids (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#other-calls") \
  X (exec_delete_event, "exec.delete-event", SC_SHOULD, 0,                                       \
     "an exec's Delete publishes TaskDelete with its id, pid and exit status",                     \
     "containerd v1.7.24 runtime/v2/README.md \"Events\" (exec TaskDelete: SHOULD); docs/shim-behaviour.md#events") \
  X (exec_delete_never_started, "exec.delete-never-started", SC_MUST, 0,                           \
     "Delete of a never started exec answers exit 0", "TestDeleteContainerExecCreated (containerd v1.7.24 integration/client/container_test.go)") \
  X (exec_state, "exec.state", SC_SHOULD, 0, "State of a running exec reports it RUNNING with its pid", \
     "docs/shim-behaviour.md#states")                                                              \
  X (exec_unknown_state_notfound, "exec.unknown-state-notfound", SC_MUST, 0,                       \
     "State of an unknown exec answers NotFound", "TestContainerLoadUnexistingProcess (containerd v1.7.24 integration/client/container_linux_test.go)") \
  /* exit */                                                                                       \
  X (exit_wait_zero, "exit.wait-zero", SC_MUST, 0, "Wait answers 0 for a task that succeeds",      \
     "docs/shim-behaviour.md#wait")                                                                \
  X (exit_wait_code, "exit.wait-code", SC_MUST, 0, "Wait and Delete answer the task's exit code",  \
     "TestContainerStart (containerd v1.7.24 integration/client/container_test.go)")               \
  X (exit_exited_at_sane, "exit.exited-at-sane", SC_MUST, 0,                                       \
     "exited_at is set, after the start, not in the future", "TestContainerExitedAtSet (containerd v1.7.24 integration/client/container_test.go)") \
  X (exit_concurrent_waiters, "exit.concurrent-waiters", SC_MUST, 0,                               \
     "several concurrent waiters are all answered", "docs/shim-behaviour.md#ttrpc-streams, #wait") \
  X (exit_wait_after_exit, "exit.wait-after-exit", SC_MUST, 0,                                     \
     "Wait after the exit answers at once with the stored status", "TestWaitStoppedTask (containerd v1.7.24 integration/client/container_test.go)") \
  X (exit_single_event, "exit.single-event", SC_MUST, 0,                                           \
     "exactly one TaskExit per process, right pid and status, none after Delete",                  \
     "TestRegressionIssue4769 (containerd v1.7.24 integration/client/container_test.go)")          \
  X (exit_no_event_after_failed_create, "exit.no-event-after-failed-create", SC_MUST, 0,           \
     "no TaskExit for a task whose Create failed", "TestRegressionIssue6429 (containerd v1.7.24 integration/client/container_test.go)") \
  X (exit_init_exit_last, "exit.init-exit-last", SC_SHOULD, 0,                                     \
     "the init's TaskExit comes after its execs' exits", "containerd v2.1.9 cmd/containerd-shim-runc-v2/task/service.go (init exit last since 1.7.22); docs/shim-behaviour.md#events") \
  X (exit_event_after_endpoint_outage, "exit.event-after-endpoint-outage", SC_SHOULD, 45,           \
     "an exit while the events endpoint is down arrives once it is back, exactly once",           \
     "containerd v1.7.24 runtime/v2/README.md \"Events\"; containerd v1.6.20 runtime/v2/shim/publisher.go (requeued on failure); docs/shim-behaviour.md#events") \
  X (exit_oom_event, "exit.oom-event", SC_SHOULD, 45,                                              \
     "a task killed over its memory limit gets a TaskOOM naming its container",                     \
     "containerd v1.7.24 api/events/task.proto (TaskOOM); containerd v2.1.9 "                      \
     "cmd/containerd-shim-runc-v2/task/service.go (the OOM watcher); docs/shim-behaviour.md#events") \
  X (exit_oom_before_exit, "exit.oom-before-exit", SC_COMPAT, 45,                                   \
     "the TaskOOM comes before the init's TaskExit",                                                 \
     "containerd v2.1.9 cmd/containerd-shim-runc-v2/task/service.go (the OOM watcher); docs/shim-behaviour.md#events") \
  X (exit_host_pidns_init_kill_takes_all, "exit.host-pidns-init-kill-takes-all", SC_MUST, 0,     \
     "without a pid namespace, the init's exit ends the container's other processes",             \
     "TestContainerKillInitPidHost (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#kill") \
  X (exit_state_stopped, "exit.state-stopped", SC_MUST, 0,                                         \
     "after the exit, State is STOPPED with exit_status and exited_at", "docs/shim-behaviour.md#states") \
  X (exit_start_before_exit, "exit.start-before-exit", SC_MUST, 60,                                \
     "an init that exits at once still gets its TaskStart before its TaskExit (10 tasks)",        \
     "containerd v1.7.24 runtime/v2/README.md \"Events\"; docs/shim-behaviour.md#events")          \
  X (exit_short_running_pid, "exit.short-running-pid", SC_MUST, 0,                                 \
     "a task that exits at once keeps one pid across Create, Start and TaskExit",                  \
     "TestShortRunningTaskPid (containerd v1.7.24 integration/client/container_test.go)")          \
  /* cleanup */                                                                                    \
  X (cleanup_delete_running_rejected, "cleanup.delete-running-rejected", SC_MUST, 0,               \
     "Delete of a running task fails and the task keeps running", "TestDeleteRunningContainer (containerd v1.7.24 integration/client/container_test.go)") \
  X (cleanup_delete_returns_status, "cleanup.delete-returns-status", SC_MUST, 0,                   \
     "Delete returns pid, exit status and exited_at", "docs/shim-behaviour.md#delete")             \
  X (cleanup_delete_event, "cleanup.delete-event", SC_MUST, 0,                                     \
     "TaskDelete follows TaskExit with pid and status", "containerd v1.7.24 runtime/v2/README.md \"Events\"") \
  X (cleanup_second_delete_notfound, "cleanup.second-delete-notfound", SC_MUST, 0,                 \
     "a second Delete answers NotFound", "docs/shim-behaviour.md#delete")                          \
  X (cleanup_shutdown_with_tasks_keeps_serving, "cleanup.shutdown-with-tasks-keeps-serving",       \
     SC_MUST, 0, "Shutdown with tasks left does nothing", "docs/shim-behaviour.md#shutdown")       \
  X (cleanup_shutdown_after_delete_exits, "cleanup.shutdown-after-delete-exits", SC_MUST, 0,       \
     "Shutdown after the last Delete ends the shim and removes its socket",                        \
     "TestShimDoesNotLeakSockets (containerd v2.1.9 integration/client/container_linux_test.go); docs/shim-behaviour.md#shutdown") \
  X (cleanup_nothing_survives, "cleanup.nothing-survives", SC_MUST, 0,                             \
     "after Delete, Shutdown and delete no process, mount or socket of the task is left",          \
     "TestShimDoesNotLeakPipes (containerd v1.7.24 integration/client/container_linux_test.go); containerd v1.7.24 runtime/v2/README.md \"delete\"") \
  X (cleanup_delete_created_task, "cleanup.delete-created-task", SC_MUST, 0,                       \
     "Delete of a created, never started task removes it", "docs/shim-behaviour.md#delete")        \
  X (cleanup_created_task_events, "cleanup.created-task-events", SC_SHOULD, 0,                     \
     "a never started task's TaskDelete comes right after its TaskCreate",                         \
     "containerd v1.7.24 runtime/v2/README.md \"Events\" (a MUST there, which containerd does not " \
     "enforce: it copes with the runc shim's extra exit); docs/shim-behaviour.md#events")          \
  X (cleanup_deleted_task_notfound, "cleanup.deleted-task-notfound", SC_MUST, 0,                   \
     "State, Kill, Wait and Start of a deleted task answer NotFound", "docs/shim-behaviour.md#delete") \
  X (cleanup_shared_shim_outlives_one_task, "cleanup.shared-shim-outlives-one-task", SC_MUST, 0,  \
     "in a shared shim, one task's Delete, Shutdown and `delete` leave the other serving; the last Shutdown ends it", \
     "containerd v1.7.24 runtime/v2/README.md \"Shutdown\"; containerd v1.7.24 runtime/v2/shim.go (Shutdown after Delete); docs/shim-behaviour.md#shutdown") \
  X (cleanup_fd_hygiene, "cleanup.fd-hygiene", SC_SHOULD, 0,                                     \
     "no pipe left in the shim by a failed Create, no pty by a finished tty exec, no shim fd in the container", \
     "TestShimDoesNotLeakPipes (containerd v1.7.24 integration/client/container_linux_test.go); containerd v2.3.4 integration/container_tty_leak_linux_test.go") \
  X (cleanup_stats_after_delete, "cleanup.stats-after-delete", SC_MUST, 0,                         \
     "Stats of a deleted task fails", "TestDeletedContainerMetrics (containerd v1.7.24 integration/client/container_test.go)") \
  /* io */                                                                                         \
  X (io_stdin_cat_closeio, "io.stdin-cat-closeio", SC_MUST, 0,                                     \
     "stdin reaches cat; CloseIO then EOF ends it", "TestContainerCloseIO (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#stdio") \
  X (io_exec_stdin_closeio, "io.exec-stdin-closeio", SC_MUST, 0,                                 \
     "an exec's stdin reaches it; CloseIO with its exec id gives it EOF",                          \
     "TestContainerAttachProcess (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#other-calls") \
  X (io_no_stdin, "io.no-stdin", SC_MUST, 0, "a task without stdin runs and CloseIO is a no-op",   \
     "TestContainerNoSTDIN (containerd v1.7.24 integration/client/container_test.go)")             \
  X (io_stdout_stderr_separated, "io.stdout-stderr-separated", SC_MUST, 0,                         \
     "stdout and stderr go to their own FIFOs", "docs/shim-behaviour.md#stdio")                    \
  X (io_large_output_intact, "io.large-output-intact", SC_MUST, 90,                                \
     "10 MiB of output arrive intact", "docs/shim-behaviour.md#stdio")                             \
  X (io_tty_output_and_resize, "io.tty-output-and-resize", SC_MUST, 0,                             \
     "a terminal task's output is a tty stream and ResizePty reaches it",                          \
     "TestContainerPTY (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#terminal") \
  X (io_resize_without_tty, "io.resize-without-tty", SC_MUST, 0,                                   \
     "ResizePty of a task without a terminal succeeds", "TestTaskResize (containerd v1.7.24 integration/client/container_test.go)") \
  X (io_output_drained_before_delete, "io.output-drained-before-delete", SC_MUST, 0,               \
     "all output is in the FIFO when Delete returns", "docs/shim-behaviour.md#delete, #stdio")     \
  X (io_stdin_reattach, "io.stdin-reattach", SC_SHOULD, 0,                                       \
     "a client's stdin writer going away is not EOF: a re-attached writer reaches the task; CloseIO ends it", \
     "TestContainerAttach (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#stdio") \
  X (io_stdout_reader_reopens, "io.stdout-reader-reopens", SC_MUST, 0,                           \
     "the stdout FIFO's reader goes away and comes back: output goes on to the end, the shim lives", \
     "TestDaemonReconnectsToShimIOPipesOnRestart (containerd v1.7.24 integration/client/container_linux_test.go); docs/shim-behaviour.md#stdio") \
  X (io_binary_logger, "io.binary-logger", SC_SHOULD, 0,                                         \
     "a binary:// logger gets stdout on fd 3, stderr on fd 4, the query as arguments, the id and namespace", \
     "containerd v1.7.24 runtime/v2/README.md \"Logging\"; containerd v1.7.24 pkg/process/io_util.go (NewBinaryCmd); docs/shim-behaviour.md#loggers") \
  X (io_binary_logger_ready_first, "io.binary-logger-ready-first", SC_SHOULD, 0,                 \
     "Create waits until the binary:// logger closed its readiness fd 5",                          \
     "containerd v1.7.24 pkg/process/io.go (NewBinaryIO); docs/shim-behaviour.md#loggers")          \
  X (io_binary_v2_logger_readiness, "io.binary-v2-logger-readiness", SC_SHOULD, 0,               \
     "binary-v2://: no readiness byte fails Create, the byte runs the task",                      \
     "containerd v2.3.4 docs/runtime-v2.md \"Logging\"; docs/shim-behaviour.md#loggers")           \
  X (io_unknown_scheme_rejected, "io.unknown-scheme-rejected", SC_SHOULD, 0,                     \
     "Create with an unknown stdio scheme fails with a message and leaves no task",               \
     "containerd v1.7.24 pkg/process/io.go (createIO: unknown STDIO scheme); docs/shim-behaviour.md#stdio") \
  X (io_stdio_not_a_fifo_rejected, "io.stdio-not-a-fifo-rejected", SC_SHOULD, 0,                 \
     "a plain stdio path that is a regular file fails Create and is left untouched",               \
     "containerd v1.7.24 pkg/process/io.go (createIO: fifo paths opened with containerd/fifo); docs/shim-behaviour.md#stdio") \
  X (io_file_scheme_appends, "io.file-scheme-appends", SC_SHOULD, 0,                             \
     "file:// stdout and stderr are appended to the file",                                        \
     "containerd v1.7.24 runtime/v2/README.md \"Logging\"; containerd v1.7.24 pkg/process/io.go (createIO, file); docs/shim-behaviour.md#stdio") \
  X (io_file_scheme_stderr_after_stdout, "io.file-scheme-stderr-after-stdout", SC_SHOULD, 0,      \
     "file:// stderr written after the task closed its stdout still reaches the file",             \
     "containerd v1.7.24 pkg/process/io.go (copyPipes, one file for stdout and stderr); docs/shim-behaviour.md#stdio") \
  /* state / control */                                                                            \
  X (control_pause_resume_status, "control.pause-resume-status", SC_SHOULD, 0,                     \
     "Pause gives PAUSED, Resume gives RUNNING", "docs/shim-behaviour.md#states, #other-calls")    \
  X (control_paused_resumed_events, "control.paused-resumed-events", SC_SHOULD, 0,                 \
     "TaskPaused then TaskResumed are published", "containerd v1.7.24 runtime/v2/README.md \"Events\"") \
  X (control_update_resources, "control.update-resources", SC_SHOULD, 0,                           \
     "Update applies LinuxResources: the memory limit reads back from the task's cgroup", "TestTaskUpdate (containerd v1.7.24 integration/client/container_linux_test.go)") \
  X (control_stats_decodable, "control.stats-decodable", SC_SHOULD, 0,                             \
     "Stats returns cgroup metrics that decode", "TestContainerMetrics (containerd v1.7.24 integration/client/container_test.go); docs/shim-behaviour.md#options") \
  X (control_stats_cgroup_version, "control.stats-cgroup-version", SC_SHOULD, 0,                  \
     "Stats answers the Metrics of the host's cgroup mode: v2 on a unified host, v1 otherwise",    \
     "containerd v1.7.24 runtime/v2/runc/task/service.go (Stats); docs/shim-behaviour.md#other-calls") \
  X (control_stats_values, "control.stats-values", SC_SHOULD, 0,                                  \
     "Stats reports the task's memory in use (> 0) and its pids (>= 1)",                          \
     "containerd v1.7.24 cmd/ctr/commands/tasks/metrics.go (what ctr task metrics shows); docs/shim-behaviour.md#other-calls") \
  X (control_connect_task_pid, "control.connect-task-pid", SC_MUST, 0,                             \
     "Connect reports the task's init pid", "docs/shim-behaviour.md#connect, #other-calls")        \
  X (control_state_fields, "control.state-fields", SC_MUST, 0,                                     \
     "State echoes id, bundle, pid and the stdio paths", "docs/shim-behaviour.md#states")          \
  X (control_pids_includes_init, "control.pids-includes-init", SC_MUST, 0,                         \
     "Pids lists the init", "TestContainerPids (containerd v1.7.24 integration/client/container_test.go)") \
  /* ttrpc robustness */                                                                           \
  X (ttrpc_unknown_method_unimplemented, "ttrpc.unknown-method-unimplemented", SC_MUST, 0,         \
     "an unknown method answers Unimplemented", "containerd v1.7.24 runtime/v2/README.md \"Unsupported rpcs\"; docs/shim-behaviour.md#ttrpc-errors") \
  X (ttrpc_unknown_service_unimplemented, "ttrpc.unknown-service-unimplemented", SC_MUST, 0,       \
     "an unknown service answers Unimplemented", "docs/shim-behaviour.md#ttrpc-errors")            \
  X (ttrpc_oversized_request, "ttrpc.oversized-request", SC_MUST, 0,                               \
     "a request over 4 MiB answers ResourceExhausted and the connection lives on", "docs/shim-behaviour.md#ttrpc-errors") \
  X (ttrpc_garbage_envelope, "ttrpc.garbage-envelope", SC_MUST, 0,                                 \
     "an undecodable envelope answers InvalidArgument", "docs/shim-behaviour.md#ttrpc-errors")     \
  X (ttrpc_even_stream_id, "ttrpc.even-stream-id", SC_SHOULD, 0,                                   \
     "a request on an even stream id answers InvalidArgument", "docs/shim-behaviour.md#ttrpc-streams") \
  X (ttrpc_hundred_concurrent_calls, "ttrpc.hundred-concurrent-calls", SC_MUST, 0,                 \
     "100 concurrent calls on one connection are all answered", "docs/shim-behaviour.md#ttrpc-streams") \
  X (ttrpc_disconnect_during_wait, "ttrpc.disconnect-during-wait", SC_MUST, 0,                     \
     "a client leaving during a blocked Wait leaves the shim healthy", "docs/shim-behaviour.md#ttrpc-errors") \
  X (ttrpc_slow_runtime_does_not_block, "ttrpc.slow-runtime-does-not-block", SC_SHOULD, 60,        \
     "a slow runtime call for one task does not delay State of another",                           \
     "docs/shim-behaviour.md#robustness")                                                          \
  X (ttrpc_garbage_payload_every_rpc, "ttrpc.garbage-payload-every-rpc", SC_MUST, 0,               \
     "an undecodable payload to each of the 17 RPCs is an error, never a crash",                   \
     "docs/shim-behaviour.md#robustness")                                                          \
  X (ttrpc_non_utf8_id_keeps_connection, "ttrpc.non-utf8-id-keeps-connection", SC_SHOULD, 0,       \
     "an exec id that is not UTF-8 gets a UTF-8 error and the connection lives on",                \
     "corpora/blackbox/runc-v2-invalid-utf8-exec-id.records; docs/shim-behaviour.md#ttrpc-errors")

#define SC_DECLARE(fn, id, level, timeout, title, ref) void fn (sc_t *t);
SC_CASES (SC_DECLARE)
#undef SC_DECLARE

#endif
