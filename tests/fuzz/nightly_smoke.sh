#!/usr/bin/env bash
# A short fuzz/nightly.sh run on one target, into a private out dir and build
# dir: both engines must fuzz (executions counted), the corpus must be merged
# and kept, the summary must be written in both formats, and a clean target
# must exit 0.  A second run must reuse the kept corpus.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/shimcheck-nightly.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "not ok: $*"; exit 1; }
export FUZZ_BUILD=$tmp/build
[ -d "$root/build-fuzz/deps/protobuf-c" ] && export FUZZ_DEPS=$root/build-fuzz/deps
"$root/fuzz/nightly.sh" --time 8 --jobs 1 --targets events_and_bootstrap --out "$tmp/out" \
  >"$tmp/log" 2>&1 || { tail -30 "$tmp/log"; fail "nightly.sh exited $?"; }
s=$tmp/out/fuzz-summary.json
[ -s "$s" ] && [ -s "$tmp/out/fuzz-summary.md" ] || fail "no summary"
python3 - "$s" <<'PY' || fail "summary figures"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"][0]
assert t["target"] == "events_and_bootstrap", t
assert t["libfuzzer"]["execs"] > 0 and t["libfuzzer"]["coverage"] > 0, t
assert t["afl"]["execs"] > 0, t
assert t["corpus"]["files"] > 0 and d["crashes"] == 0, t
print("ok: summary: libFuzzer %d execs, AFL++ %d execs, corpus %d files" % (
    t["libfuzzer"]["execs"], t["afl"]["execs"], t["corpus"]["files"]))
PY
# nothing the job started is left: no fuzzer binary of its build dir runs
sleep 1
left=$(pgrep -fa -- "$FUZZ_BUILD/" || true)
[ -z "$left" ] || fail "processes left behind: $left"
echo "ok: nothing left running (AFL++ forkservers, CMPLOG included, were reaped)"
n1=$(ls "$tmp/out/fuzz/events_and_bootstrap/corpus" | wc -l)
"$root/fuzz/nightly.sh" --time 4 --jobs 1 --targets events_and_bootstrap --out "$tmp/out" --no-build \
  --no-afl >"$tmp/log2" 2>&1 || fail "second run exited $?"
grep -q "$n1 files found in $tmp/out/fuzz/events_and_bootstrap/corpus" \
  "$tmp/out/fuzz/events_and_bootstrap/libfuzzer.log" || fail "second run did not start from the kept corpus ($n1 files)"
echo "ok: the second night starts from the kept corpus ($n1 files)"
"$root/fuzz/nightly.sh" --time 1 >/dev/null 2>&1 && fail "--time 1 accepted"
"$root/fuzz/nightly.sh" --targets nope --time 5 >/dev/null 2>&1 && fail "unknown target accepted"
echo "ok: bad arguments are refused"
