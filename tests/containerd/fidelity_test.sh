#!/usr/bin/env bash
# Fidelity: does shimcheck's runner, acting as containerd VERSION, drive a
# shim the way the real containerd VERSION does?  `shimcheck record` sits in
# front of that containerd's own Go runc shim twice: once under the REAL
# daemon (ctr run / exec with stdin / kill / delete), once under the runner
# (`shimcheck run --containerd VERSION` on a few ordinary lifecycle cases).
# fidelity_compare.py compares the two recordings: start/delete argv,
# containerd's environment, start's stdin and answer, the bundle's files and
# bootstrap.json, the task service, and each task request's fields, metadata
# and deadline.  Any difference fails, naming the field.
#   fidelity_test.sh BUILD_BIN_DIR [VERSION]   (VERSION: 1.7, 2.1; default Debian 12's 1.6)
#   SHIMCHECK_KEEP_RECORDING=DIR keeps both recordings (seeds for the fuzzers)
set -uo pipefail
BIN=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
IMG=docker.io/shimcheck/busybox:latest
T=$(mktemp -d /tmp/sc-fid.XXXXXX)
NS=sc-fid-$$
CD_VERSION=${2:-}
. "$HERE/lib.sh"
R=$(mktemp -d /tmp/sc-fidrec.XXXXXX)
trap 'cleanup; rm -rf "$R"' EXIT
V=${CD_VERSION:-1.6}
REAL=/usr/bin/containerd-shim-runc-v2
[ -n "$CD_VERSION" ] && REAL=$CD_PREFIX/usr/bin/containerd-shim-runc-v2

# --- the real containerd -------------------------------------------------------
"$BIN/shimcheck" record --shim "$REAL" --out "$R/containerd" --bin-dir "$T/bin" >"$T/install" 2>&1
expect "record installs the wrapper in front of containerd $V's runc shim" $? "$(cat "$T/install")"
start_containerd
RT=(--runtime io.containerd.rec.v1)
out=$(ctr_ run "${FIFO[@]}" --rm "${RT[@]}" "$IMG" f1 sh -c 'echo out; echo err >&2; exit 3' 2>&1); rc=$?
expect "containerd $V: ctr run through the recorder (exit 3)" $([ $rc -eq 3 ]; echo $?) "rc $rc: $out"
ctr_ run "${FIFO[@]}" -d "${RT[@]}" "$IMG" f2 sleep 3600 >/dev/null 2>&1
out=$(echo through-exec | ctr_ task exec "${FIFO[@]}" --exec-id e1 f2 cat 2>&1); rc=$?
expect "containerd $V: exec with stdin through the recorder" $([ $rc -eq 0 ] && [ "$out" = through-exec ]; echo $?) "rc $rc: $out"
ctr_ task kill -s SIGKILL f2 >/dev/null 2>&1
for _ in $(seq 50); do [ "$(ctr_ task ls 2>/dev/null | awk '$1=="f2" {print $3}')" = STOPPED ] && break; sleep 0.1; done
ctr_ task delete f2 >/dev/null 2>&1
expect "containerd $V: kill and delete through the recorder" $? ""
ctr_ containers delete f2 >/dev/null 2>&1
stop_containerd
# our proxies (each transcript names its sockets), not other runs
ours() { for s in $(cat "$R"/*/transcript.txt 2>/dev/null | awk '/^-- proxy / {print $3}'); do [ -S "$s" ] && echo "$s"; done; }
for _ in $(seq 50); do [ -z "$(ours)" ] && break; sleep 0.2; done

# --- the runner, acting as the same version ---------------------------------
"$BIN/shimcheck" record --shim "$REAL" --out "$R/runner" --bin-dir "$T/runner-bin" >/dev/null 2>&1
CASES='^(create\.rootfs-mounts-honoured|io\.stdout-stderr-separated|io\.stdin-cat-closeio|io\.exec-stdin-closeio|exec\.exit-code|exec\.output|exit\.wait-code)$'
TMPDIR=$T "$BIN/shimcheck" run --shim "$T/runner-bin/containerd-shim-rec-v1" --containerd "$V" \
  --filter "$CASES" >"$T/run.tap" 2>&1
expect "the runner as containerd $V: the lifecycle cases pass through the recorder" $? "$(grep -A3 '^not ok' "$T/run.tap" | head -12)"
for _ in $(seq 50); do [ -z "$(ours)" ] && break; sleep 0.2; done
left=$(ours); expect "no recording proxy left behind" $([ -z "$left" ]; echo $?) "$left"

# --- the comparison ------------------------------------------------------------
python3 "$HERE/fidelity_compare.py" "$R/containerd" "$R/runner" >"$T/compare"
rc=$?
sed 's/^ok - /ok - containerd '"$V"' vs runner: /; s/^not ok - /not ok - containerd '"$V"' vs runner: /' "$T/compare"
pass=$((pass + $(grep -c '^ok' "$T/compare"))); fail=$((fail + $(grep -c '^not ok' "$T/compare")))
[ $rc -eq 0 ] || [ "$(grep -c '^not ok' "$T/compare")" -gt 0 ] || bad "fidelity_compare.py ran" "rc $rc"
[ -n "${SHIMCHECK_KEEP_RECORDING:-}" ] && cp -r "$R" "$SHIMCHECK_KEEP_RECORDING"
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
