#!/usr/bin/env bash
# Docker (Debian 12's docker.io, dockerd 20.10) as a real client of a shim.
# A private dockerd (own data-root, exec-root, pidfile and socket; no
# iptables, no bridge) on a private containerd (lib.sh) in a namespace of
# this run's own.  dockerd always asks for io.containerd.runc.v2: with `ref`
# the private containerd's PATH has containerd-shim-ref-v1 under that name,
# with `go` it finds Debian's Go shim.  The same checks run for both; each
# proves which shim served by the parent of the container's init.
#   docker_test.sh BUILD_BIN_DIR ref|go [CONTAINERD_VERSION]
set -uo pipefail
BIN=$(cd "$1" && pwd)
WHICH=${2:-ref}
HERE=$(cd "$(dirname "$0")" && pwd)/../containerd
SHIM=$BIN/containerd-shim-ref-v1
DOCKER=/usr/bin/docker   # the package's client (another one may come first in PATH)
DOCKERD=/usr/sbin/dockerd
IMG=docker.io/shimcheck/busybox:latest
T=$(mktemp -d /tmp/sc-dock.XXXXXX)
NS=sc-dock-$$
CD_VERSION=${3:-}
. "$HERE/lib.sh"
DPID=

if [ ! -x "$DOCKERD" ] || [ ! -x "$DOCKER" ]; then
  echo "not ok - docker.io is not installed (ci/bootstrap.sh installs it)"
  exit 1
fi

docker_() { timeout -k 5 60 "$DOCKER" -H "unix://$T/d.sock" "$@"; }

# the daemon's config is ours (not /etc/docker/daemon.json), its trust key too;
# container cgroups go under /$NS (lib.sh's cleanup removes that)
[ -e /run/docker ] && RUN_DOCKER_WAS_THERE=1 || RUN_DOCKER_WAS_THERE=
printf '{"deprecated-key-path": "%s/key.json"}\n' "$T" >"$T/daemon.json"

run_dockerd() {
  "$DOCKERD" --config-file "$T/daemon.json" --cgroup-parent "/$NS" --containerd "$T/c.sock" --containerd-namespace "$NS" --containerd-plugins-namespace "$NS-p" \
    --data-root "$T/docker" --exec-root "$T/dx" -H "unix://$T/d.sock" --pidfile "$T/d.pid" \
    --iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
    --userland-proxy=false --live-restore >>"$T/dockerd.log" 2>&1 &
  DPID=$!
  for _ in $(seq 150); do docker_ version >/dev/null 2>&1 && return 0; kill -0 "$DPID" 2>/dev/null || return 1; sleep 0.1; done
  return 1
}

stop_dockerd() {
  [ -n "$DPID" ] || return 0
  stop_pid "$DPID" 150
  DPID=
}

docker_cleanup() {
  if [ -n "$DPID" ]; then
    for c in $(docker_ ps -aq 2>/dev/null); do docker_ rm -f "$c" >/dev/null 2>&1; done
    stop_dockerd
  fi
  # dockerd's own mounts under its data-root
  grep -o " $T[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  # dockerd makes /run/docker/plugins whatever its exec-root: ours if it was not there
  [ -n "$RUN_DOCKER_WAS_THERE" ] || rmdir /run/docker/plugins /run/docker 2>/dev/null
  true
}
trap 'docker_cleanup; cleanup' EXIT

# --- the private containerd, our shim as containerd-shim-runc-v2 (ref) --------
mkdir -p "$T/bin"
if [ "$WHICH" = ref ]; then
  ln -s "$SHIM" "$T/bin/containerd-shim-runc-v2"
  WANT_SHIM=$SHIM
elif [ -n "$CD_VERSION" ]; then
  # the Go shim of the same containerd version
  ln -s "$CD_PREFIX/usr/bin/containerd-shim-runc-v2" "$T/bin/containerd-shim-runc-v2"
  WANT_SHIM=$CD_PREFIX/usr/bin/containerd-shim-runc-v2
else
  WANT_SHIM=$(command -v containerd-shim-runc-v2)
fi
start_containerd

run_dockerd
expect "private dockerd is up ($("$DOCKERD" --version | awk '{print $3}' | tr -d ,))" $? "$(tail -5 "$T/dockerd.log")"

# --- an image without a registry: docker import of a busybox-static rootfs -----
mkdir -p "$T/rootfs/bin" "$T/rootfs/etc" "$T/rootfs/tmp"
cp /bin/busybox "$T/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$T/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$T/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$T/rootfs/etc/group"
printf '#!/bin/sh\necho never\n' >"$T/rootfs/notexec"
chmod 644 "$T/rootfs/notexec"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
docker_ import "$T/rootfs.tar" "$IMG" >/dev/null 2>&1
expect "busybox image imported into dockerd" $? ""

R=(run --network none)

# which shim serves a running container: the parent of its init
served_by() {
  local pid ppid
  pid=$(docker_ inspect -f '{{.State.Pid}}' "$1" 2>/dev/null)
  ppid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null)
  readlink -f "/proc/$ppid/exe" 2>/dev/null
}

# --- exit codes, and which shim served ----------------------------------------
for code in 0 7; do
  docker_ "${R[@]}" --rm "$IMG" sh -c "exit $code" >/dev/null 2>&1; rc=$?
  expect "docker run: exit code $code" $([ $rc -eq $code ]; echo $?) "got $rc"
done
docker_ "${R[@]}" -d --name svc "$IMG" sleep 3600 >/dev/null 2>&1
expect "docker run -d starts a container" $? "$(tail -3 "$T/dockerd.log")"
srv=$(served_by svc)
expect "the container's init is a child of $WHICH's shim ($WANT_SHIM)" $([ "$srv" = "$(readlink -f "$WANT_SHIM")" ]; echo $?) "parent: $srv"
ppid=$(awk '{print $4}' "/proc/$(docker_ inspect -f '{{.State.Pid}}' svc)/stat" 2>/dev/null)
comm=$(cat "/proc/$ppid/comm" 2>/dev/null)
expect "ps and pidof see the shim under its installed name, not exe" $([ "$comm" = containerd-shim ]; echo $?) "comm: $comm"

# --- stdin, tty, exec, logs ----------------------------------------------------
out=$(echo through-stdin | docker_ "${R[@]}" --rm -i "$IMG" cat 2>&1)
expect "docker run -i: stdin reaches cat, EOF ends it" $([ "$out" = through-stdin ]; echo $?) "got: $out"
out=$(docker_ "${R[@]}" --rm -t "$IMG" sh -c 'tty; echo tty-ok' 2>&1)
expect "docker run -t: the process has a terminal, output is a tty stream" \
  $(echo "$out" | grep -q '^/dev/pts/[0-9]*'$'\r''$' && echo "$out" | grep -q "tty-ok"$'\r'; echo $?) "got: $(echo "$out" | od -c | head -3)"
out=$(docker_ exec svc sh -c 'echo exec-out; exit 3' 2>&1); rc=$?
expect "docker exec: output and exit code 3" $([ $rc -eq 3 ] && [ "$out" = exec-out ]; echo $?) "rc $rc: $out"
out=$(echo exec-stdin | docker_ exec -i svc cat 2>&1)
expect "docker exec -i: stdin reaches the exec" $([ "$out" = exec-stdin ]; echo $?) "got: $out"
docker_ "${R[@]}" --name logger "$IMG" sh -c 'echo log-out; echo log-err >&2' >/dev/null 2>&1
out=$(docker_ logs logger 2>"$T/logs-err"); err=$(cat "$T/logs-err")
expect "docker logs: stdout and stderr kept apart" $([ "$out" = log-out ] && [ "$err" = log-err ]; echo $?) "out: $out err: $err"
docker_ rm logger >/dev/null 2>&1

# --- stop: SIGTERM handled, SIGTERM ignored ------------------------------------
docker_ "${R[@]}" -d --name termok "$IMG" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null 2>&1
sleep 0.3
docker_ stop -t 10 termok >/dev/null 2>&1
code=$(docker_ inspect -f '{{.State.ExitCode}}' termok 2>/dev/null)
expect "docker stop: a container that handles SIGTERM exits 0" $([ "$code" = 0 ]; echo $?) "exit code $code"
docker_ "${R[@]}" -d --name termignored "$IMG" sleep 3600 >/dev/null 2>&1
docker_ stop -t 1 termignored >/dev/null 2>&1
code=$(docker_ inspect -f '{{.State.ExitCode}}' termignored 2>/dev/null)
expect "docker stop -t 1: a pid 1 that ignores SIGTERM is killed (137)" $([ "$code" = 137 ]; echo $?) "exit code $code"
docker_ rm termok termignored >/dev/null 2>&1

# --- restart ------------------------------------------------------------------
pid1=$(docker_ inspect -f '{{.State.Pid}}' svc 2>/dev/null)
docker_ restart -t 1 svc >/dev/null 2>&1
pid2=$(docker_ inspect -f '{{.State.Pid}}' svc 2>/dev/null)
st=$(docker_ inspect -f '{{.State.Status}}' svc 2>/dev/null)
expect "docker restart: running again with a new init" \
  $([ "$st" = running ] && [ -n "$pid2" ] && [ "$pid2" != 0 ] && [ "$pid2" != "$pid1" ]; echo $?) "status $st, pid $pid1 -> $pid2"

# --- OOM: -m 16m, the kernel kills it, Docker says OOMKilled --------------------
docker_ "${R[@]}" --name oomer -m 16m --memory-swap 16m "$IMG" sh -c 'tail /dev/zero' >/dev/null 2>&1; rc=$?
oom=$(docker_ inspect -f '{{.State.OOMKilled}}' oomer 2>/dev/null)
expect "docker run -m 16m: the task over its limit exits 137" $([ $rc -eq 137 ]; echo $?) "got $rc"
expect "docker inspect: OOMKilled=true (the shim published /tasks/oom)" $([ "$oom" = true ]; echo $?) "OOMKilled=$oom"
docker_ rm oomer >/dev/null 2>&1

# --- a non-executable entrypoint: the runtime's reason, said once ---------------
out=$(docker_ "${R[@]}" --rm --entrypoint /notexec "$IMG" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
# the Go shim's text: the runtime's reason once, under one prefix of each layer
want='docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/notexec": permission denied: unknown.'
expect "non-executable entrypoint: docker run fails (126) with the Go shim's exact message" \
  $([ $rc -eq 126 ] && [ "$(echo "$out" | head -1)" = "$want" ]; echo $?) "rc $rc, want: $want"

# --- live-restore: dockerd restarts, the container lives on and is served ------
pid=$(docker_ inspect -f '{{.State.Pid}}' svc 2>/dev/null)
stop_dockerd
expect "live-restore: the container outlives dockerd" $(kill -0 "$pid" 2>/dev/null; echo $?) "pid $pid gone"
run_dockerd
expect "live-restore: dockerd is back" $? "$(tail -5 "$T/dockerd.log")"
st=$(docker_ inspect -f '{{.State.Status}} {{.State.Pid}}' svc 2>/dev/null)
expect "live-restore: still running, same pid" $([ "$st" = "running $pid" ]; echo $?) "got: $st (want running $pid)"
out=$(docker_ exec svc sh -c 'echo after-restore; exit 4' 2>&1); rc=$?
expect "live-restore: docker exec works (output, exit 4)" $([ $rc -eq 4 ] && [ "$out" = after-restore ]; echo $?) "rc $rc: $out"
docker_ stop -t 1 svc >/dev/null 2>&1
code=$(docker_ inspect -f '{{.State.Status}} {{.State.ExitCode}}' svc 2>/dev/null)
expect "live-restore: docker stop ends it (137)" $([ "$code" = "exited 137" ]; echo $?) "got: $code"
docker_ rm svc >/dev/null 2>&1

# --- parallel: 10 containers at once -------------------------------------------
for i in $(seq 10); do docker_ "${R[@]}" --rm "$IMG" sh -c "exit $i" >/dev/null 2>&1 & eval "p$i=\$!"; done
okn=0
for i in $(seq 10); do eval "wait \$p$i"; [ $? -eq "$i" ] && okn=$((okn+1)); done
expect "10 containers in parallel: every exit code right" $([ $okn -eq 10 ]; echo $?) "$okn of 10"

# --- nothing left behind ---------------------------------------------------------
left=$(docker_ ps -aq 2>/dev/null | wc -l)
expect "no container left" $([ "$left" -eq 0 ]; echo $?) "$left left"
shims() { pgrep -f -- "shim.* -namespace $NS "; }
for _ in $(seq 50); do shims >/dev/null || break; sleep 0.1; done
expect "no shim process left" $(! shims >/dev/null; echo $?) "$(shims | xargs -r ps -o pid=,args= -p)"

echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
