#!/usr/bin/env bash
# shimcheck fuzz, the black-box fuzzer, against real shims:
#  - the reference shim survives a seeded run (nothing found, figures printed);
#  - a shim that crashes on Pause (reffault) is caught, the reproducer is
#    written and replays to the same crash; a shim that never answers Pids is
#    caught as a hang; in both cases nothing is left running;
#  - containerd-shim-runc-v2 drops its ttrpc connection on an exec id that is
#    not UTF-8, and never answers a Create whose stdin path does not exist
#    (both found by this fuzzer; corpora/blackbox/); the reference shim does
#    neither.
set -uo pipefail
bin=${1:?usage: blackbox_cli.sh BUILD_BIN_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
sc=$bin/shimcheck
tmp=$(mktemp -d /tmp/shimcheck-bb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "not ok: $*"; exit 1; }
# only what this test started is judged (other runs may be going on): the
# fuzzer's temp dirs are ours (TMPDIR), so are the shims whose command line
# names them, and the sockets the fuzzer lists in OUT/addresses
export TMPDIR=$tmp/tmp
mkdir -p "$TMPDIR"
shims_running() { pgrep -f -- "-address $TMPDIR/" >/dev/null 2>&1; }

out=$(timeout -k 5 120 "$sc" fuzz --shim "$bin/containerd-shim-ref-v1" --time 10 --seed 7 \
  --corpus "$root/corpora/task_dispatch" --out "$tmp/ref" 2>&1); rc=$?
echo "$out" | tail -3
[ $rc -eq 0 ] || fail "reference shim: exit $rc"
echo "$out" | grep -q "requests/s" || fail "no figures"
echo "$out" | grep -Eq "Create [1-9][0-9]*/" || fail "no Create ever succeeded: the fuzzer never reached real tasks"
echo "ok: reference shim survives 10 s of fuzzing"

for fault in crash-on-Pause hang-on-Pids; do
  out=$(SHIMCHECK_FAULTS=$fault timeout -k 5 180 "$sc" fuzz --shim "$bin/containerd-shim-reffault-v1" \
    --time 60 --seed 3 --out "$tmp/$fault" 2>&1); rc=$?
  [ $rc -eq 1 ] || { echo "$out" | tail -5; fail "$fault: exit $rc, want 1"; }
  want=crash; [ $fault = hang-on-Pids ] && want=hang
  echo "$out" | grep -q "FINDING: $want" || { echo "$out" | tail -5; fail "$fault: not reported as $want"; }
  rep=$(ls "$tmp/$fault"/finding-*.records 2>/dev/null | head -1)
  [ -s "$rep" ] || fail "$fault: no reproducer"
  out=$(SHIMCHECK_FAULTS=$fault timeout -k 5 120 "$sc" fuzz --shim "$bin/containerd-shim-reffault-v1" \
    --replay "$rep" --out "$tmp/replay-$fault" 2>&1); rc=$?
  [ $rc -eq 1 ] && echo "$out" | tail -1 | grep -q "^$want" || { echo "$out" | tail -3; fail "$fault: replay does not reproduce"; }
  echo "ok: $fault found as a $want, reproducer replays"
done
sleep 1
shims_running && fail "shims left running"

# third_party REPRODUCER PATTERN WHAT: runc-v2 shows the finding, ours does not
third_party() {
  local r=$root/corpora/blackbox/$1 out rc
  if [ -x /usr/bin/containerd-shim-runc-v2 ]; then
    out=$(timeout -k 5 60 "$sc" fuzz --shim /usr/bin/containerd-shim-runc-v2 --replay "$r" \
      --out "$tmp/runc-v2-$1" 2>&1); rc=$?
    [ $rc -eq 1 ] && echo "$out" | grep -q "$2" \
      || { echo "$out" | tail -3; fail "runc-v2 no longer $3 (fixed upstream?)"; }
    echo "ok: runc-v2 $3 (third-party finding)"
  fi
  out=$(timeout -k 5 60 "$sc" fuzz --shim "$bin/containerd-shim-ref-v1" --replay "$r" \
    --out "$tmp/ref-$1" 2>&1) \
    || { echo "$out" | tail -3; fail "the reference shim shows it too: $3"; }
  echo "ok: the reference shim does not"
}
third_party runc-v2-invalid-utf8-exec-id.records "dropped connection" \
  "drops its connection on a non-UTF-8 exec id"
third_party runc-v2-create-missing-stdin-hangs.records "hang: Create" \
  "never answers a Create whose stdin path does not exist"
# a socket of ours nobody accepts on is what a killed shim left
n=$(cat "$tmp"/*/addresses 2>/dev/null | sort -u | wc -l)
[ "$n" -gt 0 ] || fail "the fuzzer listed no shim address"
new=$(cat "$tmp"/*/addresses | sort -u | while read -r f; do
  [ -S "$f" ] && ! python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])" "$f" 2>/dev/null && echo "$f"
done)
[ -z "$new" ] || fail "dead shim sockets left behind: $new"
echo "ok: no shim socket left behind ($n addresses checked)"
shims_running && fail "shims left running"
left=$(ls -A "$TMPDIR")
[ -z "$left" ] || fail "temp dirs left: $left"
echo "ok: no temp dir and no shim of ours left"
"$sc" fuzz --time 5 >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing --shim not a usage error"
"$sc" fuzz --shim /nonexistent --time 5 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --shim not a usage error"
"$sc" fuzz --shim "$bin/containerd-shim-ref-v1" --replay /nonexistent >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --replay not a usage error"
echo "ok: usage errors"
