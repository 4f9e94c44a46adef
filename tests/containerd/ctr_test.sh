#!/usr/bin/env bash
# containerd-shim-ref-v1 under a REAL containerd (1.6, Debian 12's, or a
# version fetched by ci/containerd-versions.sh), driven by its own ctr, as a
# user runs it.  A private daemon (own root, state and socket in a temp dir,
# stopped by pid), its own namespace, a busybox image imported from a tarball.
#   ctr_test.sh BUILD_BIN_DIR [CONTAINERD_VERSION]
set -uo pipefail
BIN=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SHIM=$BIN/containerd-shim-ref-v1
IMG=docker.io/shimcheck/busybox:latest
T=$(mktemp -d /tmp/sc-ctrd.XXXXXX)
NS=sc-ctr-$$
CD_VERSION=${2:-}
. "$HERE/lib.sh"

# sockets of other runs are not ours to judge
ls /run/containerd/ref/ 2>/dev/null | sort >"$T/sockets-before"
ls /run/containerd/fifo/ 2>/dev/null | sort >"$T/fifos-before"

# --- a private containerd whose PATH finds our shim -------------------------
mkdir -p "$T/bin"
ln -s "$SHIM" "$T/bin/containerd-shim-ref-v1"
# `ctr --runc-binary` is only accepted for io.containerd.runc.v2: for that test
# our shim is installed under that name too, as a user replacing it would
ln -s "$SHIM" "$T/bin/containerd-shim-runc-v2"
cat >"$T/runc-wrapper" <<WRAP
#!/bin/sh
echo "\$*" >> "$T/wrapper-calls"
exec runc "\$@"
WRAP
chmod +x "$T/runc-wrapper"
start_containerd

RT=(--runtime io.containerd.ref.v1)

# --- exit codes -------------------------------------------------------------
for code in 0 7; do
  ctr_ run "${FIFO[@]}" --rm "${RT[@]}" "$IMG" "exit$code" sh -c "exit $code" >/dev/null 2>&1; rc=$?
  expect "ctr run: exit code $code propagated" $([ $rc -eq $code ]; echo $?) "got $rc"
done
# (pid 1 of a pid namespace cannot be SIGKILLed from inside: kill it from outside)
ctr_ run "${FIFO[@]}" --rm "${RT[@]}" "$IMG" kill9 sleep 3600 >/dev/null 2>&1 &
RUNPID=$!
for _ in $(seq 100); do [ "$(ctr_ task ls 2>/dev/null | awk '$1=="kill9" {print $3}')" = RUNNING ] && break; sleep 0.1; done
ctr_ task kill -s SIGKILL kill9 >/dev/null 2>&1
wait "$RUNPID"; rc=$?
expect "ctr run: SIGKILLed task exits 137" $([ $rc -eq 137 ]; echo $?) "got $rc"

# --- stdout / stderr / stdin ------------------------------------------------
ctr_ run "${FIFO[@]}" --rm "${RT[@]}" "$IMG" outerr sh -c 'echo to-stdout; echo to-stderr >&2' >"$T/o" 2>"$T/e"
expect "stdout content" $(grep -qx to-stdout "$T/o"; echo $?) "stdout: $(cat "$T/o")"
expect "stderr content on stderr only" $(grep -qx to-stderr "$T/e" && ! grep -q to-stderr "$T/o"; echo $?) "stderr: $(cat "$T/e")"
# ctr run does not close the task's stdin at EOF, and cat as pid 1 ignores the
# SIGTERM ctr forwards: once the line is back, SIGKILL the task from outside
# and let --rm clean up
mkfifo "$T/in"
# --- the legacy options containerd's client builds for non-runc runtimes --------
# ctr's --no-pivot and --uidmap become containerd.linux.runc.CreateOptions
# for io.containerd.ref.v1 (a runc runtime name would get runc.v1.Options)
out=$(ctr_ run "${FIFO[@]}" --rm --no-pivot "${RT[@]}" "$IMG" nopivot echo ok 2>&1); rc=$?
expect "ctr run --no-pivot (legacy CreateOptions): task runs and prints ok" \
  $([ $rc -eq 0 ] && [ "$(echo "$out" | tr -d '\r')" = ok ]; echo $?) "rc $rc: $out"
out=$(ctr_ run "${FIFO[@]}" --rm --uidmap 0:0:65536 --gidmap 0:0:65536 "${RT[@]}" "$IMG" ioowner \
  sh -c 'stat -L -c %u:%g /proc/self/fd/1' 2>&1); rc=$?
expect "ctr run --uidmap/--gidmap (CreateOptions io_uid/io_gid): task runs" $([ $rc -eq 0 ]; echo $?) "rc $rc: $out"

# --- the shim cgroup a client names in the task options ---------------------
# containerd's Go client puts WithShimCgroup into the options above (1.x:
# CreateOptions for this runtime name; 2.x: runc.v1.Options for every
# runtime); ctr has no flag for it, so task_client.py sends that Tasks.Create.
# containerd hands the options to the shim's start, whose daemon must land in
# the cgroup.  It has to exist: made in every hierarchy (cpuset's cpus and mems
# copied down, or no process may join), under our namespace's cgroup, beside
# the container's own (/$NS/shimcg: runc's kill --all freezes that one).
SHIMCG=/$NS/the-shim OPTKIND=legacy
case $CD_VERSION in 2.*) OPTKIND=runc ;; esac
mkdir -p "$T/rootfs/bin" && cp /bin/busybox "$T/rootfs/bin/" && ln -s busybox "$T/rootfs/bin/sleep"
madecg=0
for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
  [ -L "$h" ] || [ ! -e "$h/cgroup.procs" ] && continue
  mkdir -p "$h$SHIMCG" 2>/dev/null || continue
  madecg=$((madecg+1))
  for f in cpuset.cpus cpuset.mems; do
    [ -e "$h/$NS/$f" ] && [ -z "$(tr -d ' \n' <"$h/$NS/$f")" ] && cat "$h/$f" >"$h/$NS/$f"
    [ -e "$h$SHIMCG/$f" ] && [ -z "$(tr -d ' \n' <"$h$SHIMCG/$f")" ] && cat "$h/$NS/$f" >"$h$SHIMCG/$f"
  done
done
ctr_ containers create "${RT[@]}" --rootfs "$T/rootfs" shimcg /bin/sleep 3600 >/dev/null 2>&1
out=$(timeout -k 5 40 /usr/bin/python3 "$HERE/task_client.py" "$T/c.sock" "$NS" shimcg "$SHIMCG" "$OPTKIND" 2>&1); rc=$?
expect "Tasks.Create with shim_cgroup in $OPTKIND options: created" $([ $rc -eq 0 ] && [ "${out:-0}" -gt 0 ] 2>/dev/null; echo $?) "rc $rc: $out"
# the shim is the created task's parent (runc's init is reparented to it)
spid=$(awk '/^PPid:/ {print $2}' "/proc/${out:-0}/status" 2>/dev/null)
# where containerd's TestShimInCgroup looks: devices on a v1 host, else unified
want=":devices:$SHIMCG"; [ -e /sys/fs/cgroup/cgroup.procs ] && want="0::$SHIMCG"
cgs=$(cat "/proc/${spid:-0}/cgroup" 2>/dev/null)
expect "shim_cgroup: the shim (pid ${spid:-?}) is in $SHIMCG (made in $madecg hierarchies)" \
  $(echo "$cgs" | grep -qx -- ".*$want"; echo $?) "$(echo "$cgs" | tr '\n' ' ')"
dout=$(ctr_ task delete -f shimcg 2>&1; ctr_ containers delete shimcg 2>&1)
for _ in $(seq 50); do [ -n "$spid" ] && kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
for h in /sys/fs/cgroup /sys/fs/cgroup/*; do [ -d "$h$SHIMCG" ] && rmdir "$h$SHIMCG" 2>/dev/null; done
left=$(for h in /sys/fs/cgroup /sys/fs/cgroup/*; do [ -d "$h$SHIMCG" ] && echo "$h$SHIMCG"; done)
expect "shim_cgroup: the task is deleted, the shim gone and its cgroup removed" $([ -z "$left" ] && ! kill -0 "${spid:-0}" 2>/dev/null; echo $?) "$dout; $(cat /proc/${spid:-0}/cmdline 2>/dev/null | tr "\\0" " "); $left"

ctr_ run "${FIFO[@]}" --rm "${RT[@]}" "$IMG" cat1 cat <"$T/in" >"$T/c" 2>&1 &
RUNPID=$!
exec 7>"$T/in"
printf 'through-cat\n' >&7
for _ in $(seq 100); do grep -qx through-cat "$T/c" 2>/dev/null && break; sleep 0.1; done
expect "stdin piped through cat" $(grep -qx through-cat "$T/c"; echo $?) "got: $(cat "$T/c")"
ctr_ task kill -s SIGKILL cat1 >/dev/null 2>&1
wait "$RUNPID"; rc=$?
exec 7>&-
expect "stdin task: ctr run returns 137 after the kill" $([ $rc -eq 137 ]; echo $?) "got $rc"
ctr_ containers ls -q 2>/dev/null | grep -qx cat1; expect "stdin task cleaned up by --rm" $([ $? -ne 0 ]; echo $?) ""

# --- a long-running task: exec, ps, pause/resume, metrics, kill, delete -----
ctr_ run "${FIFO[@]}" -d "${RT[@]}" "$IMG" svc sleep 3600 >/dev/null 2>&1
expect "ctr run -d starts a task" $? ""
status() { ctr_ task ls 2>/dev/null | awk -v id="$1" '$1==id {print $3}'; }
# kill_delete ID STOPPED-CHECK DELETE-CHECK: SIGKILL, STOPPED within 5 s, task and container deleted
kill_delete() {
  ctr_ task kill -s SIGKILL "$1" >/dev/null 2>&1
  for _ in $(seq 50); do [ "$(status "$1")" = STOPPED ] && break; sleep 0.1; done
  expect "$2" $([ "$(status "$1")" = STOPPED ]; echo $?) "status $(status "$1")"
  ctr_ task delete "$1" >/dev/null 2>&1
  expect "$3" $? ""
  ctr_ containers delete "$1" >/dev/null 2>&1
}
expect "ctr task ls shows RUNNING" $([ "$(status svc)" = RUNNING ]; echo $?) "status $(status svc)"
out=$(ctr_ task exec "${FIFO[@]}" --exec-id e1 svc sh -c 'echo exec-out; exit 3' 2>&1); rc=$?
expect "ctr task exec: exit code" $([ $rc -eq 3 ]; echo $?) "got $rc"
expect "ctr task exec: output" $(echo "$out" | grep -qx exec-out; echo $?) "got: $out"
ctr_ task exec "${FIFO[@]}" -d --exec-id e2 svc sleep 3600 >/dev/null 2>&1 &
EXECPID=$!
for _ in $(seq 50); do [ "$(ctr_ task ps svc 2>/dev/null | tail -n +2 | wc -l)" -ge 2 ] && break; sleep 0.1; done
ps_out=$(ctr_ task ps svc 2>&1)
expect "ctr task ps lists the task and its exec" $([ "$(echo "$ps_out" | tail -n +2 | wc -l)" -ge 2 ]; echo $?) "$ps_out"
expect "ctr task ps shows the exec id" $(echo "$ps_out" | grep -q e2; echo $?) "$ps_out"
ctr_ task pause svc >/dev/null 2>&1
expect "ctr task pause -> PAUSED" $([ "$(status svc)" = PAUSED ]; echo $?) "status $(status svc)"
ctr_ task resume svc >/dev/null 2>&1
expect "ctr task resume -> RUNNING" $([ "$(status svc)" = RUNNING ]; echo $?) "status $(status svc)"
m=$(ctr_ task metrics svc 2>&1)
expect "ctr task metrics prints memory and pids" $(echo "$m" | grep -q "memory.usage_in_bytes" && echo "$m" | grep -q "pids.current"; echo $?) "$m"
kill_delete svc "ctr task kill -s SIGKILL -> STOPPED" "ctr task delete"
wait "$EXECPID" 2>/dev/null

# --- OOM: a task over its memory limit; containerd hears /tasks/oom before the exit
ctr_ events >"$T/events" 2>&1 &
EVPID=$!
sleep 0.3
ctr_ run "${FIFO[@]}" --rm --memory-limit 20000000 "${RT[@]}" "$IMG" oomer sh -c 'tail /dev/zero' >/dev/null 2>&1; rc=$?
for _ in $(seq 30); do grep -q "/tasks/delete.*oomer" "$T/events" && break; sleep 0.1; done
kill "$EVPID" 2>/dev/null; wait "$EVPID" 2>/dev/null
topics=$(grep '"oomer"\|oomer' "$T/events" | grep -o '/tasks/[a-z-]*' | tr '\n' ' ')
expect "OOM: the task over 20 MB is killed (137)" $([ $rc -eq 137 ]; echo $?) "got $rc"
expect "OOM: containerd gets /tasks/oom, before /tasks/exit" \
  $(echo "$topics" | grep -q "/tasks/oom.*/tasks/exit"; echo $?) "topics: $topics"

# --- a binary:// logger (ctr run --log-uri): stdout on fd 3, stderr on fd 4 ----
cat >"$T/logger" <<LOGGER
#!/bin/sh
trap '' TERM
printf '%s %s %s\n' "\$CONTAINER_ID" "\$CONTAINER_NAMESPACE" "\$*" > $T/log-env
/bin/cat <&3 5>&- > $T/log-out &
/bin/cat <&4 5>&- > $T/log-err &
exec 3<&- 4<&- 5>&-
wait
echo done > $T/log-done
LOGGER
chmod +x "$T/logger"
ctr_ run --rm --log-uri "binary://$T/logger?--tag=x1" "${RT[@]}" "$IMG" logged \
  sh -c 'echo to-logger-out; echo to-logger-err >&2; exit 5' >/dev/null 2>&1; rc=$?
for _ in $(seq 100); do [ -e "$T/log-done" ] && break; sleep 0.1; done
expect "binary:// logger: the task's exit code 5" $([ $rc -eq 5 ]; echo $?) "got $rc"
expect "binary:// logger: stdout on fd 3, stderr on fd 4" \
  $([ "$(cat "$T/log-out" 2>/dev/null)" = to-logger-out ] && [ "$(cat "$T/log-err" 2>/dev/null)" = to-logger-err ]; echo $?) \
  "out: $(cat "$T/log-out" 2>&1) err: $(cat "$T/log-err" 2>&1)"
expect "binary:// logger: CONTAINER_ID, CONTAINER_NAMESPACE and the query's arguments" \
  $([ "$(cat "$T/log-env" 2>/dev/null)" = "logged $NS --tag x1" ]; echo $?) "env: $(cat "$T/log-env" 2>&1)"

# --- tty execs with large output: every byte of the tail arrives --------------
# (ctr task exec -t wants a terminal: script(1) gives it one.  The tty echoes a
# NUL that ctr writes to the exec's input as "^@": not output, dropped here.
# timeout runs in the foreground process group: ctr puts the tty into raw mode,
# which a background group is stopped for with SIGTTOU where that is not ignored.)
ctr_ run "${FIFO[@]}" -d "${RT[@]}" "$IMG" ttysvc sleep 3600 >/dev/null 2>&1
short=0 runs=10
for i in $(seq $runs); do
  script -qec "timeout --foreground -k 5 30 $CTR -a $T/c.sock -n $NS task exec --fifo-dir $T/fifo -t --exec-id tty$i ttysvc seq 1 200000" \
    /dev/null >"$T/tty-out" 2>&1 </dev/null
  tr -d '\r' <"$T/tty-out" | sed 's/\^@//g' >"$T/tty-lines"
  # every number from 1 to 200000, in order, nothing else
  bad=$(awk '$0 != NR {print NR": "$0; exit} END {if (NR != 200000) print "only " NR " lines"}' "$T/tty-lines")
  if [ -n "$bad" ]; then short=$((short+1)); echo "# tty exec $i: $bad"; fi
done
expect "tty execs: $runs x seq 1 200000 through a pty, every line in order to the last" $([ $short -eq 0 ]; echo $?) "$short of $runs wrong"
kill_delete ttysvc "tty execs: the task stops" "tty execs: the task is deleted"

# --- a containerd restart with a running task --------------------------------
ctr_ run "${FIFO[@]}" -d "${RT[@]}" "$IMG" survivor sleep 3600 >/dev/null 2>&1
tpid=$(ctr_ task ls 2>/dev/null | awk '$1=="survivor" {print $2}')
expect "restart: task running before" $([ "$(status survivor)" = RUNNING ] && [ -n "$tpid" ]; echo $?) "status $(status survivor)"
stop_containerd
expect "restart: the task outlives containerd" $(kill -0 "$tpid" 2>/dev/null; echo $?) "pid $tpid gone"
run_containerd
expect "restart: containerd is back" $? "$(tail -5 "$T/containerd.log")"
expect "restart: the task is RUNNING with the same pid" \
  $([ "$(status survivor)" = RUNNING ] && [ "$(ctr_ task ls 2>/dev/null | awk '$1=="survivor" {print $2}')" = "$tpid" ]; echo $?) \
  "$(ctr_ task ls 2>&1); $(tail -5 "$T/containerd.log")"
out=$(ctr_ task exec "${FIFO[@]}" --exec-id r1 survivor sh -c 'echo after-restart; exit 4' 2>&1); rc=$?
expect "restart: exec on the reloaded task (output, exit 4)" $([ $rc -eq 4 ] && echo "$out" | grep -qx after-restart; echo $?) "rc $rc: $out"
kill_delete survivor "restart: kill reaches it, its exit is seen (STOPPED)" "restart: delete"

# --- --runc-binary selects another runtime ----------------------------------
ctr_ run "${FIFO[@]}" --rm --runtime io.containerd.runc.v2 --runc-binary "$T/runc-wrapper" "$IMG" wrapped sh -c 'exit 5' >/dev/null 2>&1; rc=$?
expect "--runc-binary: task ran (exit 5)" $([ $rc -eq 5 ]; echo $?) "got $rc; $(tail -3 "$T/containerd.log")"
expect "--runc-binary: the named runtime was used" $(grep -q "create --bundle" "$T/wrapper-calls" 2>/dev/null; echo $?) "no create call recorded"
if command -v crun >/dev/null; then
  out=$(ctr_ run "${FIFO[@]}" --rm --runtime io.containerd.runc.v2 --runc-binary crun "$IMG" viacrun sh -c 'echo crun-ok' 2>&1); rc=$?
  if [ $rc -eq 0 ] && echo "$out" | grep -qx crun-ok; then ok "--runc-binary crun runs a task"
  elif echo "$out" | grep -qiE "cgroup"; then
    skip "--runc-binary crun runs a task" "crun refuses this host's cgroup layout: $(echo "$out" | tail -1)"
    ctr_ containers delete viacrun >/dev/null 2>&1
  elif echo "$out" | grep -q "crun create failed: unknown version specified"; then
    # crun 1.8 predates the OCI spec version containerd 2.x writes into config.json
    skip "--runc-binary crun runs a task" "this crun does not know containerd ${CD_VERSION}'s OCI spec version: $(echo "$out" | tail -1)"
    ctr_ containers delete viacrun >/dev/null 2>&1
  else bad "--runc-binary crun runs a task" "rc $rc: $out"; fi
else skip "--runc-binary crun runs a task" "crun not installed"; fi

# --- nothing left ----------------------------------------------------------
sleep 0.5
left=$(pgrep -fa -- "-namespace $NS " || true)
expect "no shim process left" $([ -z "$left" ]; echo $?) "$left"
socks=$(for f in /run/containerd/ref/*; do
  [ -S "$f" ] || continue
  grep -qx "$(basename "$f")" "$T/sockets-before" && continue
  fuser "$f" >/dev/null 2>&1 || echo "$f"
done)
expect "no dead shim socket left in /run/containerd/ref" $([ -z "$socks" ]; echo $?) "$socks"
fifos=$(ls /run/containerd/fifo/ 2>/dev/null | sort | comm -13 "$T/fifos-before" -)
expect "no stdio fifo dir left in /run/containerd/fifo" $([ -z "$fifos" ]; echo $?) "$fifos"
mounts=$(grep -c "$T/state" /proc/mounts)
expect "no rootfs mount left" $([ "$mounts" -eq 0 ]; echo $?) "$(grep "$T/state" /proc/mounts)"

echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
