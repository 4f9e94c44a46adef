#!/usr/bin/env bash
# shimcheck probe as a user runs it: exit codes, messages, deadlines, and
# nothing left running or on disk afterwards.
#   probe_cli.sh PATH/TO/shimcheck
set -uo pipefail
SHIMCHECK=$1
RUNC_SHIM=/usr/bin/containerd-shim-runc-v2
tmp=$(mktemp -d /tmp/sc-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
# other runs on this machine are not ours to judge
ls -d /tmp/shimcheck.* 2>/dev/null | sort >"$tmp/dirs-before"

check() { # name, condition-result(0/1), detail
  if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok - $1"
  else fail=$((fail+1)); echo "not ok - $1: $3"; fi
}

run() { # expected-exit, max-seconds, name, args...
  local want=$1 max=$2 name=$3; shift 3
  local t0 t1 rc
  t0=$(date +%s%N)
  timeout -k 5 60 "$SHIMCHECK" "$@" >"$tmp/out" 2>&1; rc=$?
  t1=$(date +%s%N)
  local ms=$(( (t1 - t0) / 1000000 ))
  check "$name exits $want" $([ "$rc" -eq "$want" ]; echo $?) "exit $rc; output: $(tail -5 "$tmp/out")"
  check "$name finishes within ${max}s" $([ "$ms" -le $((max*1000)) ]; echo $?) "took ${ms} ms"
}

leftovers() { # processes whose command line mentions our temp dir or a shim we ran
  pgrep -f "$tmp|$RUNC_SHIM -namespace shimcheck-probe" || true
}

run 0 10 "probe of the real runc-v2 shim" probe --shim "$RUNC_SHIM"
grep -q "probe passed" "$tmp/out"; check "runc-v2 probe says passed" $? "$(cat "$tmp/out")"
grep -qE "Connect +ok .*shim_pid [1-9]" "$tmp/out"; check "runc-v2 probe reports the shim pid" $? "$(cat "$tmp/out")"
grep -q 'reply NotFound: "container not created: not found"' "$tmp/out"
check "runc-v2 probe reports State NotFound with the shim's message" $? "$(cat "$tmp/out")"
grep -qE "socket removed +ok" "$tmp/out"; check "runc-v2 probe checks the socket is gone" $? ""

run 1 10 "probe of /bin/false" probe --shim /bin/false
grep -q "shim start exited 1" "$tmp/out"; check "/bin/false: message names the step" $? "$(cat "$tmp/out")"

printf '#!/bin/sh\nsleep 1000\n' >"$tmp/hang"; chmod +x "$tmp/hang"
run 1 5 "probe of a shim that hangs in start" probe --shim "$tmp/hang" --timeout-scale 0.4
grep -q "did not exit within 2.0 s" "$tmp/out"; check "hang: message says the deadline" $? "$(cat "$tmp/out")"

# an address where a shim socket may be, but nobody listens
mkdir -p /run/containerd
printf '#!/bin/sh\necho unix:///run/containerd/sc-cli-nobody-%s.sock\n' "$$" >"$tmp/liar"; chmod +x "$tmp/liar"
run 1 5 "probe of a shim printing an address nobody listens on" probe --shim "$tmp/liar" --timeout-scale 0.4
grep -q "connect to shim address" "$tmp/out"; check "liar: message names the connect step" $? "$(cat "$tmp/out")"

printf '#!/bin/sh\necho @abstract-shim-name\n' >"$tmp/abstract"; chmod +x "$tmp/abstract"
run 1 5 "probe of a shim on an abstract socket" probe --shim "$tmp/abstract" --timeout-scale 0.2
grep -q "CVE-2020-15257" "$tmp/out"; check "abstract socket is flagged" $? "$(cat "$tmp/out")"
printf '#!/bin/sh\necho unix://%s/elsewhere.sock\n' "$tmp" >"$tmp/elsewhere"; chmod +x "$tmp/elsewhere"
run 1 5 "probe of a shim printing a socket outside the shim socket directories" probe --shim "$tmp/elsewhere"
grep -q "refusing to connect" "$tmp/out"; check "a socket elsewhere is refused, not connected to" $? "$(cat "$tmp/out")"

run 2 5 "probe without --shim" probe
run 2 5 "probe with a bad option" probe --shim /bin/true --bogus
run 0 5 "probe --help" probe --help
run 2 5 "unknown command" frobnicate
run 2 5 "probe of a missing binary" probe --shim "$tmp/does-not-exist"
grep -q "does-not-exist: No such file or directory" "$tmp/out"; check "missing binary: message names the path" $? "$(cat "$tmp/out")"

sleep 0.2
left=$(leftovers)
check "nothing left running" $([ -z "$left" ]; echo $?) "$left"
left=$(ls -d /tmp/shimcheck.* 2>/dev/null | sort | comm -13 "$tmp/dirs-before" -)
check "no shimcheck temp dirs left" $([ -z "$left" ]; echo $?) "$left"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
