#!/usr/bin/env bash
# Stats on a cgroup v2 (unified) host, on this cgroup v1 hybrid machine: the
# test re-runs itself in a private mount namespace where /sys/fs/cgroup is a
# cgroup2 mount, so containerd, the shims and runc all see a unified host
# (runc creates the containers' cgroups in the v2 hierarchy; the memory, cpu
# and pids controllers stay with v1 here, so only what v2 accounts without
# them is compared: cpu time, and the processes runc counts).
#   cgroup2_test.sh BUILD_BIN_DIR [CONTAINERD_VERSION]
# Checks: a private containerd's `ctr task metrics` shows the cgroup v2
# table for a task of the reference shim and of the Go shim; the runner's
# Stats cases pass for the reference shim there (v2 Metrics) and the
# cgroup-version case fails for a shim that answers v1 there.
set -uo pipefail
if [ -z "${SC_IN_CGROUP2_NS:-}" ]; then
  # the mount is private to the namespace and goes with it
  exec unshare -m --propagation private env SC_IN_CGROUP2_NS=1 bash -c \
    'mount -t cgroup2 none /sys/fs/cgroup || { echo "not ok - cannot mount cgroup2 in a private mount namespace"; exit 1; }; exec bash "$0" "$@"' \
    "$0" "$@"
fi
BIN=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SHIM=$BIN/containerd-shim-ref-v1
IMG=docker.io/shimcheck/busybox:latest
T=$(mktemp -d /tmp/sc-cg2.XXXXXX)
NS=sc-cg2-$$
CD_VERSION=${2:-}
. "$HERE/lib.sh"

[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
expect "/sys/fs/cgroup is a cgroup2 mount in this namespace" $? "$(stat -f -c %T /sys/fs/cgroup)"

mkdir -p "$T/bin"
ln -s "$SHIM" "$T/bin/containerd-shim-ref-v1"
start_containerd

status() { ctr_ task ls 2>/dev/null | awk -v id="$1" '$1==id {print $3}'; }
metric() { awk -v k="$2" '$1==k {print $2}' <<<"$1"; }

# (--cpu-shares 0: no cpu.weight to write, which needs the cpu controller)
for rt in io.containerd.ref.v1 io.containerd.runc.v2; do
  name=${rt#io.containerd.}
  id=m-${name%%.*}
  out=$(ctr_ run --fifo-dir "$T/fifo" -d --cpu-shares 0 --runtime "$rt" "$IMG" "$id" sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 3600' 2>&1)
  expect "$rt: ctr run -d starts a task" $? "$out"
  for _ in $(seq 50); do [ "$(status "$id")" = RUNNING ] && break; sleep 0.1; done
  # some CPU time first: the loop above runs for a moment
  sleep 0.5
  m=$(ctr_ task metrics "$id" 2>&1)
  expect "$rt: ctr task metrics prints the cgroup v2 table (pids.limit, cpu.usage_usec, memory.usage_limit)" \
    $(grep -q "^pids.limit" <<<"$m" && grep -q "^cpu.usage_usec" <<<"$m" && grep -q "^memory.usage_limit" <<<"$m" && ! grep -q "memory.usage_in_bytes" <<<"$m"; echo $?) "$m"
  if [ "$rt" = io.containerd.ref.v1 ]; then
    u=$(metric "$m" cpu.usage_usec)
    expect "$rt: cpu.usage_usec counts the task's CPU time (> 0)" $([ "${u:-0}" -gt 0 ]; echo $?) "$m"
    p=$(metric "$m" pids.current)
    expect "$rt: pids.current counts the task's processes (>= 1)" $([ "${p:-0}" -ge 1 ]; echo $?) "$m"
    # pids.max is "max" here: 2^64-1, as the file reads
    expect "$rt: pids.limit reads as the file's max (18446744073709551615)" \
      $([ "$(metric "$m" pids.limit)" = 18446744073709551615 ]; echo $?) "$m"
  fi
  ctr_ task kill -s SIGKILL "$id" >/dev/null 2>&1
  for _ in $(seq 50); do [ "$(status "$id")" = STOPPED ] && break; sleep 0.1; done
  ctr_ task delete "$id" >/dev/null 2>&1
  ctr_ containers delete "$id" >/dev/null 2>&1
done

# the runner's Stats cases, on this unified host
out=$(timeout -k 5 120 "$BIN/shimcheck" run --shim "$SHIM" --filter control.stats 2>/dev/null)
expect "shimcheck: the reference shim passes the Stats cases on a unified host" \
  $(! grep -q "^not ok" <<<"$out" && [ "$(grep -c "^ok" <<<"$out")" -eq 3 ]; echo $?) "$out"
out=$(SHIMCHECK_FAULTS=stats-wrong-cgroup-version timeout -k 5 120 "$BIN/shimcheck" run \
  --shim "$BIN/containerd-shim-reffault-v1" --filter control.stats-cgroup-version 2>/dev/null)
expect "shimcheck: a shim answering v1 Metrics on a unified host fails control.stats-cgroup-version" \
  $(grep -q "^not ok 1 - control.stats-cgroup-version" <<<"$out"; echo $?) "$out"

echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
