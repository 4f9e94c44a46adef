#!/usr/bin/env bash
# Regenerates the hand-made seed inputs (protoc --encode with our own .proto
# files, runc/crun spec output).  Recorded traffic will join them.
set -euo pipefail
cd "$(dirname "$0")"
P=../harness/proto
enc() { protoc --encode="$1" -I"$P" -I/usr/include "$2"; }
frame() { # type stream body-file -> 10-byte header + body
  python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
t, s, f = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = open(f, "rb").read()
sys.stdout.buffer.write(struct.pack(">IIBB", len(body), s, t, 0) + body)
PY
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p ttrpc_frame oci_config events_and_bootstrap

# --- ttrpc_frame: first byte = knobs (frame limit, read sizes) ---------------
printf 'id: "c1"' | enc containerd.task.v2.ConnectRequest containerd/task/shim.proto >"$tmp/connect"
python3 -c "import sys; sys.stdout.write('service: \"containerd.task.v2.Task\" method: \"Connect\" payload: \"' + ''.join('\\\\%03o' % b for b in open('$tmp/connect','rb').read()) + '\" metadata { key: \"containerd-namespace-ttrpc\" value: \"default\" }')" \
  | enc ttrpc.Request ttrpc/ttrpc.proto >"$tmp/req"
frame 1 1 "$tmp/req" >"$tmp/req.frame"
{ printf '\x00'; cat "$tmp/req.frame"; } >ttrpc_frame/connect-request
printf '\x12\x03\x08\xd9\x69' >"$tmp/ok"            # runc-v2's Connect reply (observed)
{ printf '\x03'; frame 2 1 "$tmp/ok"; } >ttrpc_frame/connect-reply
{ printf '\x0a\x24\x08\x05\x12\x20container not created: not found'; } >"$tmp/nf"
{ printf '\x05'; frame 2 3 "$tmp/nf"; } >ttrpc_frame/notfound-reply
{ printf '\x01'; cat "$tmp/req.frame"; frame 2 1 "$tmp/ok"; cat "$tmp/req.frame"; } >ttrpc_frame/three-frames
head -c 200 /dev/zero >"$tmp/big"
{ printf '\x81'; frame 1 5 "$tmp/big"; cat "$tmp/req.frame"; } >ttrpc_frame/oversized-then-request
: >"$tmp/empty"
{ printf '\x02'; frame 2 7 "$tmp/empty"; frame 3 9 "$tmp/ok"; } >ttrpc_frame/empty-and-data
{ printf '\x0f'; frame 1 4 "$tmp/req"; } >ttrpc_frame/even-stream

# --- oci_config ---------------------------------------------------------------
(cd "$tmp" && runc spec && mv config.json "$OLDPWD/oci_config/runc-spec.json")
if command -v crun >/dev/null; then (cd "$tmp" && crun spec && mv config.json "$OLDPWD/oci_config/crun-spec.json"); fi
# containerd's own generator (what `ctr run` starts from before the image config)
if command -v ctr >/dev/null; then timeout 10 ctr oci spec >oci_config/containerd-default-spec.json; fi
echo '{"ociVersion":"1.0.2","root":{"path":"rootfs"}}' >oci_config/no-process.json
echo '{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"}}' >oci_config/no-root.json
echo '{"ociVersion":"1.0.2","process":{"args":"sh","cwd":"/"},"root":{"path":"r"}}' >oci_config/args-string.json
echo '{"ociVersion":"1.0.2","process":{"args":[],"cwd":"rel"},"root":{"path":"r"},"linux":{"namespaces":[{"type":"bogus"}]}}' >oci_config/bad-fields.json
echo '{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":-1,"gid":4294967296}},"root":{"path":"r"},"annotations":{"k":1}}' >oci_config/bad-numbers.json
echo '{"ociVersion":"1.0.2","process":{"args":["s\u00e9","\ud83d\ude00"],"cwd":"/","env":["A=\u0000"]},"root":{"path":"r"},"mounts":[{"destination":"/p","options":["ro"]}]}' >oci_config/unicode.json

# --- events_and_bootstrap: first byte = parser -------------------------------------
printf '\x00unix:///run/containerd/s/4e5d' >events_and_bootstrap/address-plain
printf '\x00{"version":3,"address":"unix:///run/containerd/s/x","protocol":"ttrpc"}' >events_and_bootstrap/address-json-v3
printf '\x00{"version":2,"address":"@abstract","protocol":"grpc"}' >events_and_bootstrap/address-json-grpc
printf '\x00level=info msg=starting\nunix:///x' >events_and_bootstrap/address-two-lines
printf 'container_id: "c1" id: "c1" pid: 42 exit_status: 137 exited_at { seconds: 1700000000 }' \
  | enc containerd.events.TaskExit containerd/events/task.proto >"$tmp/exit"
python3 -c "import sys; sys.stdout.write('envelope { timestamp { seconds: 1700000000 } namespace: \"default\" topic: \"/tasks/exit\" event { type_url: \"containerd.events.TaskExit\" value: \"' + ''.join('\\\\%03o' % b for b in open('$tmp/exit','rb').read()) + '\" } }')" \
  | enc containerd.services.events.ttrpc.v1.ForwardRequest containerd/events/service.proto >"$tmp/fwd"
{ printf '\x01'; cat "$tmp/fwd"; } >events_and_bootstrap/forward-task-exit
printf 'pid: 10483 exit_status: 137 exited_at { seconds: 1700000000 nanos: 5 }' \
  | enc containerd.task.v2.DeleteResponse containerd/task/shim.proto >"$tmp/del"
{ printf '\x02'; cat "$tmp/del"; } >events_and_bootstrap/delete-response
{ printf '\x03'; cat "$tmp/nf"; } >events_and_bootstrap/response-notfound
{ printf '\x03'; cat "$tmp/ok"; } >events_and_bootstrap/response-connect-ok
{ printf '\x04'; cat "$tmp/req"; } >events_and_bootstrap/request-connect
{ printf '\x02\x1a\x0b\x08\x80\x92\xb8\xc3\x98\xfe\xff\xff\xff\x01'; } >events_and_bootstrap/delete-go-zero-time
python3 make_records.py
echo "seeds: $(ls ttrpc_frame | wc -l) frame, $(ls oci_config | wc -l) oci, $(ls events_and_bootstrap | wc -l) events/bootstrap"
