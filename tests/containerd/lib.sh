# Shared by the tests that run a private containerd (ctr_test.sh,
# record_test.sh): TAP helpers, the daemon (own root, state and socket in $T,
# stopped by pid), the busybox image, and a cleanup that leaves nothing.
# The caller sets T (temp dir), NS (namespace), IMG and HERE, and optionally
# CD_VERSION (1.7, 2.1, ...: the containerd fetched by ci/containerd-versions.sh;
# default: Debian 12's 1.6), then sources this.
CPID=
CD_VERSION=${CD_VERSION:-}
CONTAINERD=containerd CTR=ctr CD_CONFIG_VERSION=2
if [ -n "$CD_VERSION" ]; then
  CD_PREFIX=$(bash "$HERE/../../ci/containerd-versions.sh" --list | awk -v v="$CD_VERSION" '$1==v {print $3}')
  if [ -z "$CD_PREFIX" ] || [ ! -x "$CD_PREFIX/usr/bin/containerd" ]; then
    echo "not ok - containerd $CD_VERSION is not fetched (ci/bootstrap.sh fetches it: ci/containerd-versions.sh)"
    exit 1
  fi
  CONTAINERD=$CD_PREFIX/usr/bin/containerd CTR=$CD_PREFIX/usr/bin/ctr
  case $CD_VERSION in 1.*) ;; *) CD_CONFIG_VERSION=3 ;; esac
fi
pass=0 fail=0 skipped=0

ok() { pass=$((pass+1)); echo "ok - $1"; }
bad() { fail=$((fail+1)); echo "not ok - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/#   /'; }
skip() { skipped=$((skipped+1)); echo "ok - $1 # SKIP $2"; }
expect() { # name, condition exit status, detail
  if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi
}

cleanup() {
  [ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
  # tasks first (as a user would), then the daemon by pid, then our leftovers
  if [ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null; then
    c() { timeout -k 2 10 "$CTR" -a "$T/c.sock" -n "$NS" "$@"; }
    for id in $(c task ls -q 2>/dev/null); do c task kill -s SIGKILL "$id" >/dev/null 2>&1; done
    sleep 0.3
    for id in $(c task ls -q 2>/dev/null); do c task delete -f "$id" >/dev/null 2>&1; done
    for id in $(c containers ls -q 2>/dev/null); do c containers delete "$id" >/dev/null 2>&1; done
  fi
  [ -n "$CPID" ] && stop_pid "$CPID" 50
  for p in $(pgrep -f -- "-namespace $NS " 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  # a shim killed above (or dead on its own) leaves its socket behind, in a
  # directory outside $T: each bundle's address file names one; it goes when
  # no process holds it any more (the test ctr_test.sh's check uses)
  find "$T" -path '*io.containerd.runtime.v2.task*' -name address -type f 2>/dev/null | while read -r f; do
    a=$(head -c 300 "$f"); s=${a#unix://}
    [ "$s" != "$a" ] && [ -S "$s" ] && ! [ -L "$s" ] || continue
    fuser "$s" >/dev/null 2>&1 || rm -f "$s"
  done
  # containers whose shim died before it could end them (runc keeps their
  # state under our namespace whatever the daemon's dirs): runc ends them
  if [ -d "/run/containerd/runc/$NS" ]; then
    for id in $(timeout -k 2 10 runc --root "/run/containerd/runc/$NS" list -q 2>/dev/null); do
      timeout -k 2 10 runc --root "/run/containerd/runc/$NS" delete -f "$id" >/dev/null 2>&1
    done
  fi
  grep -o " $T[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$T"
  rmdir "/run/containerd/runc/$NS" 2>/dev/null
  # containerd made per-namespace cgroup parents for our namespace (and a test
  # its own cgroups below them): deepest first
  for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do
    [ -d "$d" ] && [ ! -L "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  true
}
trap cleanup EXIT
# ctest ends a test past its TIMEOUT with SIGKILL, and no trap runs then: a
# watchdog ends us first (SC_TEST_DEADLINE seconds, below ctest's 300), so the
# cleanup above still runs.  The running step is killed too, or bash would only
# act on the signal when that step returns.
SC_TEST_DEADLINE=${SC_TEST_DEADLINE:-240}
deadline_hit() {
  trap - TERM
  echo "not ok - the test ran past its ${SC_TEST_DEADLINE} s deadline (cleaned up)"
  exit 1
}
trap deadline_hit TERM
( trap 'kill "$sp" 2>/dev/null; exit 0' TERM
  sleep "$SC_TEST_DEADLINE" & sp=$!; wait "$sp"
  kill -TERM $$ 2>/dev/null
  for p in $(pgrep -P $$); do [ "$p" != "$BASHPID" ] && pkill -TERM -P "$p"; kill -TERM "$p"; done
) 2>/dev/null &
WATCHDOG=$!

ctr_() { timeout -k 5 60 "$CTR" -a "$T/c.sock" -n "$NS" "$@"; }
# ctr keeps a task's stdio fifos in /run/containerd/fifo unless told otherwise,
# and leaves a detached exec's there: every run/exec of ours keeps them in $T
FIFO=(--fifo-dir "$T/fifo")

# the private daemon (again, after a stop): PATH starts with $T/bin
run_containerd() {
  PATH="$T/bin:$PATH" "$CONTAINERD" --config "$T/config.toml" >>"$T/containerd.log" 2>&1 &
  CPID=$!
  for _ in $(seq 100); do [ -S "$T/c.sock" ] && ctr_ version >/dev/null 2>&1 && break; sleep 0.1; done
  ctr_ version >/dev/null 2>&1
}

# stop_pid PID TENTHS: SIGTERM, up to TENTHS tenths of a second, then SIGKILL; reaped
stop_pid() {
  kill "$1" 2>/dev/null
  for _ in $(seq "$2"); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && kill -9 "$1"
  wait "$1" 2>/dev/null
}

# stops the daemon by pid (its shims live on, as in a containerd restart)
stop_containerd() {
  stop_pid "$CPID" 100
  CPID=
}

# start_containerd: a private daemon whose PATH starts with $T/bin
start_containerd() {
  cat >"$T/config.toml" <<CFG
version = $CD_CONFIG_VERSION
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]
[grpc]
  address = "$T/c.sock"
CFG
  run_containerd; expect "private containerd ${CD_VERSION:-1.6} is up ($("$CONTAINERD" --version | awk '{print $3}'))" $? "$(tail -5 "$T/containerd.log")"
  python3 "$HERE/mkimage.py" "$T/img.tar" "$IMG" && ctr_ images import "$T/img.tar" >/dev/null 2>&1
  expect "busybox image imported" $? ""
}
