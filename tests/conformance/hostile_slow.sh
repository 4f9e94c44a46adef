#!/usr/bin/env bash
# A shim whose Kill answers OK and signals nothing makes every case that
# waits for an exit wait for its deadline (one full run took 485 s at -j 2).
# The run's time budget bounds it: here --max-run-time 20 (the default is
# 180 s, scaled by --timeout-scale); the run ends within it plus the last
# cases' teardown, is INCOMPLETE, fails the gate, and leaves nothing behind.
#   hostile_slow.sh SHIMCHECK REFFAULT_SHIM
set -uo pipefail
SC=$1 FAULTY=$2
T=$(mktemp -d /tmp/sc-slow.XXXXXX)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
pass=0 fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok - $1"; else fail=$((fail+1)); echo "not ok - $1"; [ -n "${3:-}" ] && echo "$3" | head -20 | sed 's/^/#   /'; fi; }

t0=$(date +%s)
SHIMCHECK_FAULTS=kill-noop timeout -k 10 300 "$SC" run --shim "$FAULTY" -j 2 --max-run-time 20 \
  --out "$T/rep" >"$T/out" 2>"$T/err"
rc=$?
secs=$(( $(date +%s) - t0 ))
check "a shim whose Kill does nothing: the run ends by its budget (${secs} s for a 20 s budget)" \
  $([ "$secs" -le 50 ]; echo $?) "$(tail -5 "$T/err")"
check "the gate fails (exit 1, got $rc)" $([ "$rc" -eq 1 ]; echo $?) ""
check "the verdict is incomplete: the budget ran out" \
  $(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v=j["verdict"]; assert v["class"]=="incomplete" and "time budget" in v["headline"] and j["budget_ran_out"]' "$T/rep/report.json"; echo $?) \
  "$(grep -m1 INCOMPLETE "$T/err")"
check "cases cut short are INTERRUPTED with the reason" \
  $(grep -q "the run's time budget ran out" "$T/rep/report.json"; echo $?) ""
check "nothing left in its temp dir" $([ -z "$(ls -A "$TMPDIR")" ]; echo $?) "$(ls -A "$TMPDIR")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
