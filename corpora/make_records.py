#!/usr/bin/env python3
"""Seeds for the record-based targets (fuzz/records.h) and the ttrpc server
target.  Every protobuf payload is encoded by `protoc --encode` from our own
.proto files; nothing here knows the wire format beyond the 10-byte ttrpc
header and the record header.  Run from corpora/ (make_seeds.sh does)."""
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
P = os.path.join(HERE, "..", "harness", "proto")
METHODS = ["Create", "Start", "Delete", "Exec", "Kill", "Wait", "State", "Pids", "Pause",
           "Resume", "CloseIO", "ResizePty", "Update", "Stats", "Connect", "Shutdown",
           "Checkpoint"]
REQ = {"Create": "CreateTaskRequest", "Start": "StartRequest", "Delete": "DeleteRequest",
       "Exec": "ExecProcessRequest", "Kill": "KillRequest", "Wait": "WaitRequest",
       "State": "StateRequest", "Pids": "PidsRequest", "Pause": "PauseRequest",
       "Resume": "ResumeRequest", "CloseIO": "CloseIORequest", "ResizePty": "ResizePtyRequest",
       "Update": "UpdateTaskRequest", "Stats": "StatsRequest", "Connect": "ConnectRequest",
       "Shutdown": "ShutdownRequest", "Checkpoint": "CheckpointTaskRequest"}
EXIT, SETTLE, PIPE, V3 = 17, 18, 0x20, 0x40


def enc(msg, proto, text):
    return subprocess.run(["protoc", "--encode=" + msg, "-I" + P, "-I/usr/include", proto],
                          input=text.encode(), stdout=subprocess.PIPE, check=True).stdout


def octal(b):
    return "".join("\\%03o" % c for c in b)


def task(method, text):
    return enc("containerd.task.v2." + REQ[method], "containerd/task/shim.proto", text)


def rec(op, payload=b""):
    return struct.pack(">BH", op, len(payload)) + payload


def call(method, text="", flags=0):
    return rec(METHODS.index(method) | flags, task(method, text))


PROCESS = json.dumps({"args": ["sh", "-c", "true"], "cwd": "/", "env": ["PATH=/bin"]})
SPEC = 'spec { type_url: "types.containerd.io/opencontainers/runtime-spec/1/Process" value: "%s" }' % octal(PROCESS.encode())
RUNC_OPTS = enc("containerd.runc.v1.Options", "containerd/runc/options.proto", 'binary_name: "crun" root: "/fuzz/root"')
OPTIONS = 'options { type_url: "containerd.runc.v1.Options" value: "%s" }' % octal(RUNC_OPTS)
RESOURCES = 'resources { type_url: "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources" value: "%s" }' % octal(b'{"memory":{"limit":1048576}}')


def create(i="a", bundle="/fuzz/b", extra=""):
    return call("Create", 'id: "%s" bundle: "%s" %s' % (i, bundle, extra))


def write(path, data):
    path = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def task_dispatch():
    d = "task_dispatch/"
    write(d + "lifecycle", create() + call("Start", 'id: "a"') + call("Wait", 'id: "a"', PIPE)
          + call("Kill", 'id: "a" signal: 9') + call("Delete", 'id: "a"') + call("State", 'id: "a"'))
    write(d + "exec", create() + call("Start", 'id: "a"')
          + call("Exec", 'id: "a" exec_id: "e1" stdout: "/fuzz/out" ' + SPEC)
          + call("Start", 'id: "a" exec_id: "e1"') + call("Pids", 'id: "a"')
          + call("Wait", 'id: "a" exec_id: "e1"', PIPE)
          + call("Kill", 'id: "a" exec_id: "e1" signal: 15')
          + call("Delete", 'id: "a" exec_id: "e1"') + call("Kill", 'id: "a" signal: 9 all: true')
          + call("Wait", 'id: "a"') + call("Delete", 'id: "a"'))
    write(d + "hostpid-init-exit-last", create(bundle="/fuzz/hostpid") + call("Start", 'id: "a"')
          + call("Exec", 'id: "a" exec_id: "e1" ' + SPEC) + call("Start", 'id: "a" exec_id: "e1"')
          + call("Wait", 'id: "a"', PIPE) + rec(EXIT, b"\x00\x07") + rec(SETTLE)
          + call("State", 'id: "a"') + call("Delete", 'id: "a"'))
    write(d + "pause-update-stats", create(extra=OPTIONS) + call("Start", 'id: "a"')
          + call("Pause", 'id: "a"') + call("Exec", 'id: "a" exec_id: "e2" ' + SPEC)
          + call("Resume", 'id: "a"') + call("Update", 'id: "a" ' + RESOURCES)
          + call("Stats", 'id: "a"') + call("ResizePty", 'id: "a" width: 80 height: 24')
          + call("CloseIO", 'id: "a" stdin: true') + call("Connect", 'id: "a"')
          + call("Checkpoint", 'id: "a" path: "/fuzz/cp"'))
    write(d + "pipelined", rec(METHODS.index("Create") | PIPE, task("Create", 'id: "a" bundle: "/fuzz/b" terminal: true stdin: "/fuzz/in"'))
          + call("Start", 'id: "a"', PIPE) + call("Delete", 'id: "a"', PIPE)
          + call("Kill", 'id: "a" signal: 9', PIPE) + rec(SETTLE) + call("Delete", 'id: "a"'))
    write(d + "created-then-deleted", create("b") + call("Wait", 'id: "b"', PIPE)
          + call("Delete", 'id: "b"') + create("b") + create("b") + call("Shutdown", 'id: "b"'))
    write(d + "errors", create(bundle="relative") + create(bundle="/nope")
          + create("x", "/fuzz/nospec") + create("../bad") + call("Kill", 'id: "zz" signal: 9')
          + call("Start", 'id: "a"') + rec(METHODS.index("Wait"), b"\xff\xff\x01")
          + call("Shutdown", "now: true"))
    # binary:// loggers: the init's ready, an exec's never says so (fake host: "notready")
    write(d + "loggers", create(extra='stdout: "binary:///fuzz/log?--tag=x" stderr: "binary:///fuzz/log"')
          + call("Start", 'id: "a"')
          + call("Exec", 'id: "a" exec_id: "e1" stdout: "binary-v2:///fuzz/notready" ' + SPEC)
          + call("Start", 'id: "a" exec_id: "e1"') + call("Delete", 'id: "a" exec_id: "e1"')
          + call("Kill", 'id: "a" signal: 9') + call("Wait", 'id: "a"') + call("Delete", 'id: "a"'))
    write(d + "v3-exit-while-starting", rec(METHODS.index("Create") | V3, task("Create", 'id: "c" bundle: "/fuzz/b"'))
          + rec(METHODS.index("Start") | V3 | PIPE, task("Start", 'id: "c"')) + rec(EXIT, b"\x00\x8f")
          + rec(SETTLE) + call("Wait", 'id: "c"') + call("Delete", 'id: "c"'))


def frame(t, sid, body, flags=0):
    return struct.pack(">IIBB", len(body), sid, t, flags) + body


def envelope(method, payload=b"", service="fuzz.Svc", extra=""):
    text = 'service: "%s" method: "%s" payload: "%s" %s' % (service, method, octal(payload), extra)
    return enc("ttrpc.Request", "ttrpc/ttrpc.proto", text)


def ttrpc_server():
    d = "ttrpc_server/"
    ns = 'metadata { key: "containerd-namespace-ttrpc" value: "default" } timeout_nano: 1000000000'
    connect = task("Connect", 'id: "a"')
    write(d + "every-method", b"\x00" + frame(1, 1, envelope("Echo", b"hi", extra=ns))
          + frame(1, 3, envelope("Fail", b"\x04")) + frame(1, 5, envelope("Later"))
          + frame(1, 7, envelope("Never")) + frame(1, 9, envelope("Msg", connect))
          + frame(1, 11, envelope("Msg", b"\xff")))
    write(d + "protocol-errors", b"\x03" + frame(1, 2, envelope("Echo"))
          + frame(1, 13, b"\xff\xff") + frame(1, 15, envelope("Nope"))
          + frame(1, 17, envelope("Echo", service="other.Svc")) + frame(3, 19, b"data")
          + frame(2, 21, b"") + frame(9, 23, b"x"))
    write(d + "oversized-small-limit", b"\x80" + frame(1, 25, envelope("Echo", b"x" * 200))
          + frame(1, 27, envelope("Echo", b"ok")))
    write(d + "byte-by-byte", b"\x08" + frame(1, 29, envelope("Later")) + frame(1, 31, envelope("Echo", b"z")))
    write(d + "truncated", b"\x01" + frame(1, 33, envelope("Echo", b"cut"))[:-2])


def import_recording(rec_dir, name):
    """A `shimcheck record` directory as seeds: its task requests (bundle and
    stdio paths pointed at the fake host's /fuzz/ tree) for task_dispatch, its
    frames, in order, for ttrpc_frame."""
    import re
    data = open(os.path.join(rec_dir, "requests.records"), "rb").read()
    out, off = b"", 0
    while off < len(data):
        op, n = data[off], struct.unpack(">H", data[off + 1:off + 3])[0]
        payload = data[off + 3:off + 3 + n]
        off += 3 + n
        method = METHODS[(op & 0x1f) % 17]
        if method in ("Create", "Exec"):
            text = subprocess.run(["protoc", "--decode=containerd.task.v2." + REQ[method], "-I" + P,
                                   "-I/usr/include", "containerd/task/shim.proto"], input=payload,
                                  stdout=subprocess.PIPE, check=True).stdout.decode()
            text = re.sub(r'bundle: "[^"]*"', 'bundle: "/fuzz/b"', text)
            text = re.sub(r'(stdin|stdout|stderr): "[^"]+"', r'\1: "/fuzz/\1"', text)
            text = re.sub(r'rootfs \{[^}]*\}', "", text, flags=re.S)
            payload = task(method, text)
        out += rec(op, payload)
    write("task_dispatch/recorded-" + name, out)
    frames = open(os.path.join(rec_dir, "frames.bin"), "rb").read()
    stream, off = b"\x00", 0
    while off < len(frames):
        d, conn, ns, ln = struct.unpack("<BIQI", frames[off:off + 17])
        stream += frames[off + 17:off + 17 + ln]
        off += 17 + ln
    write("ttrpc_frame/recorded-" + name, stream)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--import-recording":
        import_recording(sys.argv[2], sys.argv[3])
        sys.exit(0)
    task_dispatch()
    ttrpc_server()
