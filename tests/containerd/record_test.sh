#!/usr/bin/env bash
# shimcheck record between REAL containerd 1.6 and containerd-shim-runc-v2:
# the wrapper installed by `shimcheck record` is the runtime io.containerd.rec.v1;
# tasks run as usual through the proxy, and the recording holds the frames,
# a readable transcript and the task requests as fuzzing seeds.
#   record_test.sh BUILD_BIN_DIR
set -uo pipefail
BIN=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
IMG=docker.io/shimcheck/busybox:latest
T=$(mktemp -d /tmp/sc-rec.XXXXXX)
NS=sc-rec-$$
. "$HERE/lib.sh"
REAL=/usr/bin/containerd-shim-runc-v2
[ -x "$REAL" ] || { echo "1..0 # SKIP $REAL not installed"; exit 0; }
# the proxies' shared socket directory: if we make it, the last proxy removes it
RECDIR=/run/containerd/sc-rec
recdir_before=0; [ -d "$RECDIR" ] && recdir_before=1

"$BIN/shimcheck" record --shim "$REAL" --out "$T/rec" --bin-dir "$T/bin" >"$T/install" 2>&1
expect "record installs the wrapper shim" $([ -x "$T/bin/containerd-shim-rec-v1" ]; echo $?) "$(cat "$T/install")"
start_containerd
RT=(--runtime io.containerd.rec.v1)

out=$(ctr_ run "${FIFO[@]}" --rm "${RT[@]}" "$IMG" rec1 sh -c 'echo through-the-proxy; exit 3' 2>&1); rc=$?
expect "a task runs through the proxy (exit code 3)" $([ $rc -eq 3 ]; echo $?) "rc $rc: $out"
expect "its output arrives" $(echo "$out" | grep -qx through-the-proxy; echo $?) "$out"
ctr_ run "${FIFO[@]}" -d "${RT[@]}" "$IMG" rec2 sleep 3600 >/dev/null 2>&1
ctr_ task exec "${FIFO[@]}" --exec-id e1 rec2 true >/dev/null 2>&1
expect "exec through the proxy" $? ""
ctr_ task kill -s SIGKILL rec2 >/dev/null 2>&1
for _ in $(seq 50); do [ "$(ctr_ task ls 2>/dev/null | awk '$1=="rec2" {print $3}')" = STOPPED ] && break; sleep 0.1; done
ctr_ task delete rec2 >/dev/null 2>&1
expect "kill and delete through the proxy" $? ""
ctr_ containers delete rec2 >/dev/null 2>&1
# the shims shut down; their proxies notice and exit
ours() { for s in $(awk '/^-- proxy / {print $3}' "$T/rec/transcript.txt" 2>/dev/null); do [ -S "$s" ] && echo "$s"; done; }
for _ in $(seq 50); do [ -z "$(ours)" ] && break; sleep 0.2; done

tr=$T/rec/transcript.txt
for m in Create Start Wait Exec Kill Delete Shutdown; do
  grep -q "containerd.task.v2.Task/$m " "$tr"; expect "transcript has $m requests" $? "$(head -c 2000 "$tr")"
done
grep -q "<- conn [0-9]* stream [0-9]*: Create OK .*pid" "$tr"
expect "transcript decodes replies (Create -> pid)" $? "$(grep Create "$tr" | head -3)"
python3 - "$T/rec/requests.records" "$T/rec/frames.bin" <<'PY'; expect "requests.records and frames.bin are well-formed" $? ""
import struct, sys
recs = open(sys.argv[1], "rb").read()
off, methods = 0, []
names = ["Create","Start","Delete","Exec","Kill","Wait","State","Pids","Pause","Resume","CloseIO",
         "ResizePty","Update","Stats","Connect","Shutdown","Checkpoint"]
while off < len(recs):
    op, n = recs[off], struct.unpack(">H", recs[off+1:off+3])[0]
    off += 3 + n
    methods.append(names[(op & 0x1f) % 17])
assert off == len(recs) and "Create" in methods and "Start" in methods, methods
fr = open(sys.argv[2], "rb").read()
off, frames = 0, 0
while off < len(fr):
    d, conn, ns, ln = struct.unpack("<BIQI", fr[off:off+17])
    body = fr[off+17:off+17+ln]
    blen = struct.unpack(">I", body[:4])[0]
    assert d in (0, 1) and blen + 10 == ln, (d, blen, ln)
    off += 17 + ln; frames += 1
assert off == len(fr) and frames >= 2 * len(methods), frames
print("# %d requests recorded, %d frames" % (len(methods), frames))
PY
"$BIN/fuzz_task_dispatch_replay" "$T/rec/requests.records" >/dev/null 2>&1
expect "the recorded requests replay through the task_dispatch target" $? ""
# SHIMCHECK_KEEP_RECORDING=DIR keeps the recording (corpora/make_records.py
# --import-recording turns it into seeds)
[ -n "${SHIMCHECK_KEEP_RECORDING:-}" ] && cp -r "$T/rec" "$SHIMCHECK_KEEP_RECORDING"
# our proxies (the transcript names each one's socket), not other runs
left=$(for s in $(awk '/^-- proxy / {print $3}' "$tr"); do [ -S "$s" ] && echo "$s"; done)
expect "no proxy left behind" $([ -z "$left" ]; echo $?) "$left"
if [ $recdir_before -eq 0 ]; then
  for _ in $(seq 50); do [ -d "$RECDIR" ] || break; sleep 0.1; done
  expect "the proxies' socket directory is gone with the last of them" $([ ! -d "$RECDIR" ]; echo $?) "$(ls -la "$RECDIR" 2>&1)"
fi
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
