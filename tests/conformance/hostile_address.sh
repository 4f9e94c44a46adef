#!/usr/bin/env bash
# A shim that prints somebody else's socket as its address: shimcheck must
# neither connect to it nor unlink it (a dead socket is otherwise "cleaned
# up"), and must fail the shim for it.  Covers a live socket, a dead one, a
# path that climbs out of /run/containerd with "..", and an abstract name.
#   hostile_address.sh SHIMCHECK
set -uo pipefail
SC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/sc-addr.XXXXXX)
V=$(mktemp -d /tmp/sc-victim.XXXXXX)
/usr/bin/python3 - "$V" <<'PY' &
import os, socket, sys, time
v = sys.argv[1]
dead = socket.socket(socket.AF_UNIX); dead.bind(v + "/dead.sock"); dead.close()   # a dead socket
live = socket.socket(socket.AF_UNIX); live.bind(v + "/live.sock"); live.listen(8)
live.settimeout(0.2)
n, end = 0, time.time() + 120
while time.time() < end and not os.path.exists(v + "/stop"):
    try:
        c, _ = live.accept(); n += 1; c.close()
    except socket.timeout:
        pass
open(v + "/accepted", "w").write(str(n))
PY
server=$!
cleanup() { touch "$V/stop"; wait "$server" 2>/dev/null; rm -rf "$T" "$V"; }
trap cleanup EXIT
for _ in $(seq 50); do [ -S "$V/live.sock" ] && break; sleep 0.1; done
pass=0 fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok - $1"; else fail=$((fail+1)); echo "not ok - $1"; [ -n "${3:-}" ] && echo "$3" | head -20 | sed 's/^/#   /'; fi; }

for addr in "unix://$V/dead.sock" "unix://$V/live.sock" "unix:///run/containerd/../..$V/dead.sock" "sc-victim-abstract-$$"; do
  export EVIL_ADDRESS=$addr
  timeout -k 10 120 "$SC" probe --shim "$HERE/evil-address-shim" >"$T/probe" 2>&1
  rc=$?
  check "probe, $addr: fails (exit 1, got $rc) at start, refusing the address" \
    $([ "$rc" -eq 1 ] && grep -qE "start +FAIL .*refusing to connect" "$T/probe"; echo $?) "$(cat "$T/probe")"
  timeout -k 10 120 "$SC" run --shim "$HERE/evil-address-shim" --filter '^(create\.pid-matches-state|bootstrap\.socket-is-private-path)$' \
    >"$T/out" 2>"$T/err"
  rc=$?
  check "run, $addr: the gate fails (exit 1, got $rc)" $([ "$rc" -eq 1 ]; echo $?) "$(tail -3 "$T/err")"
  check "run, $addr: the cases fail naming the refusal" $([ "$(grep -c 'refusing to connect' "$T/out")" -ge 2 ]; echo $?) "$(grep -A2 '^not ok' "$T/out")"
  check "$addr: the dead socket is still there" $([ -S "$V/dead.sock" ]; echo $?) ""
done
touch "$V/stop"; wait "$server"
check "nobody connected to the live socket" $([ "$(cat "$V/accepted")" = 0 ]; echo $?) "$(cat "$V/accepted") connections"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
