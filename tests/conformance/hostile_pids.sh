#!/usr/bin/env bash
# A shim that lies in ConnectResponse.shim_pid must not make shimcheck signal
# the process it names.  The evil shim is containerd-shim-reffault-v1 with
# SHIMCHECK_FAULTS=connect-pid=N|parent: it names a canary process of this
# test, pid 1, or "parent" (the process it was re-parented to: the runner's
# own case process, or `probe` itself).  `run`, `probe` and `fuzz` must end
# on their own with a verdict (the lie is a failure with evidence), and the
# canary must still be running, not stopped.
#   hostile_pids.sh SHIMCHECK REFFAULT_SHIM
set -uo pipefail
SC=$1 FAULTY=$2
T=$(mktemp -d /tmp/sc-pids.XXXXXX)
sleep 600 &
CANARY=$!
cleanup() { kill "$CANARY" 2>/dev/null; wait "$CANARY" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok - $1"; else fail=$((fail+1)); echo "not ok - $1"; [ -n "${3:-}" ] && echo "$3" | head -20 | sed 's/^/#   /'; fi; }
canary_fine() { # alive and not stopped
  local st
  st=$(ps -o stat= -p "$CANARY" 2>/dev/null | tr -d ' ')
  [ -n "$st" ] && [ "${st#T}" = "$st" ]
}

for named in "$CANARY" 1 parent; do
  what="shim_pid=$named"; [ "$named" = "$CANARY" ] && what="shim_pid=a canary process"
  export SHIMCHECK_FAULTS="connect-pid=$named"
  timeout -k 10 300 "$SC" run --shim "$FAULTY" -j 2 --out "$T/run-$named" \
    --filter '^(bootstrap\.(connect-reports-shim-pid|delete-after-sigkill)|cleanup\.(shutdown-after-delete-exits|nothing-survives))$' \
    >"$T/out" 2>"$T/err"
  rc=$?
  check "run, $what: ends by itself with the gate failed (exit 1, got $rc)" $([ "$rc" -eq 1 ]; echo $?) "$(tail -5 "$T/err")"
  check "run, $what: the lie is the connect case's failure, with both pids" \
    $(grep -q "^not ok .* bootstrap.connect-reports-shim-pid" "$T/out" \
      && grep -q "r->shim_pid == s->daemon_pid failed" "$T/run-$named/report.json"; echo $?) "$(grep connect "$T/out")"
  check "run, $what: the other cases pass (teardown found the real daemon)" \
    $([ "$(grep -c '^ok ' "$T/out")" -eq 3 ]; echo $?) "$(grep '^not ok' "$T/out")"
  check "run, $what: the canary still runs" $(canary_fine; echo $?) "$(ps -o pid,stat,cmd -p "$CANARY")"

  timeout -k 10 120 "$SC" probe --shim "$FAULTY" >"$T/probe" 2>&1
  rc=$?
  check "probe, $what: ends by itself and fails (exit 1, got $rc)" $([ "$rc" -eq 1 ]; echo $?) "$(tail -5 "$T/probe")"
  check "probe, $what: Connect is the failing step" $(grep -qE "Connect +FAIL .*not the process serving the socket" "$T/probe"; echo $?) "$(cat "$T/probe")"
  check "probe, $what: the canary still runs" $(canary_fine; echo $?) ""

  timeout -k 10 120 "$SC" fuzz --shim "$FAULTY" --time 3 --seed 7 --out "$T/fuzz-$named" >"$T/fuzz" 2>&1
  rc=$?
  check "fuzz, $what: ends by itself (got $rc)" $([ "$rc" -lt 124 ]; echo $?) "$(tail -5 "$T/fuzz")"
  check "fuzz, $what: the canary still runs" $(canary_fine; echo $?) ""
done
unset SHIMCHECK_FAULTS

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
