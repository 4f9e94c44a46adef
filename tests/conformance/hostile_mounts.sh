#!/usr/bin/env bash
# A shim that leaves mounts under the runner's directories (one whose path
# has a space, 33 stacked ones) over a canary directory: the runner must
# unmount them all, never delete into them (the canary's file survives),
# and fail the shim for them (probe's "nothing left mounted" step, the
# case's result).
#   hostile_mounts.sh SHIMCHECK REF_SHIM
set -uo pipefail
SC=$1 REF=$(readlink -f "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/sc-mounts.XXXXXX)
CANARY=$(mktemp -d /tmp/sc-canary.XXXXXX)
echo precious >"$CANARY/file"
cleanup() {
  # whatever a failing run left: only mounts of our canary
  awk -v c="$CANARY" '$4 == c || index($4, c "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$(printf '%b' "$m")" 2>/dev/null; done
  rm -rf "$T" "$CANARY"
}
trap cleanup EXIT
pass=0 fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok - $1"; else fail=$((fail+1)); echo "not ok - $1"; [ -n "${3:-}" ] && echo "$3" | head -20 | sed 's/^/#   /'; fi; }
canary_mounts() { awk -v c="$CANARY" '$4 == c || index($4, c "/") == 1' /proc/self/mountinfo | wc -l; }
export EVIL_CANARY=$CANARY EVIL_REAL=$REF

timeout -k 10 120 "$SC" probe --shim "$HERE/evil-mounts-shim" >"$T/probe" 2>&1
rc=$?
check "probe ends and fails (exit 1, got $rc)" $([ "$rc" -eq 1 ]; echo $?) "$(tail -20 "$T/probe")"
check "probe: the failing step is nothing left mounted, naming the mounts" \
  $(grep -qE "nothing left mounted +FAIL +.*34 mounts left under" "$T/probe"; echo $?) "$(grep -i mount "$T/probe")"
check "probe: the canary's file was not deleted" $([ "$(cat "$CANARY/file" 2>/dev/null)" = precious ]; echo $?) "$(ls -la "$CANARY")"
check "probe: no mount of the canary is left" $([ "$(canary_mounts)" -eq 0 ]; echo $?) "$(canary_mounts) left"

timeout -k 10 300 "$SC" run --shim "$HERE/evil-mounts-shim" -j 2 --out "$T/run" \
  --filter '^(create\.pid-matches-state|exit\.wait-zero)$' >"$T/out" 2>"$T/err"
rc=$?
check "run ends with the gate failed (exit 1, got $rc)" $([ "$rc" -eq 1 ]; echo $?) "$(tail -5 "$T/err")"
check "run: both cases fail for what the shim left mounted" \
  $([ "$(grep -c '^not ok .*' "$T/out")" -eq 2 ] && [ "$(grep -c 'left behind after the case: 34 mounts left under' "$T/run/report.json")" -ge 2 ]; echo $?) \
  "$(cat "$T/out")"
check "run: the canary's file was not deleted" $([ "$(cat "$CANARY/file" 2>/dev/null)" = precious ]; echo $?) ""
check "run: no mount of the canary is left" $([ "$(canary_mounts)" -eq 0 ]; echo $?) "$(canary_mounts) left"

unset EVIL_CANARY
timeout -k 10 120 "$SC" probe --shim "$HERE/evil-mounts-shim" >"$T/probe" 2>&1
check "the same shim without its mounts passes probe" $? "$(tail -20 "$T/probe")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
