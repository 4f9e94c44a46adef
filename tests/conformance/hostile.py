#!/usr/bin/env python3
"""Hostile "shims" for shimcheck's own tests.  As a shim binary, `start`
prints the address of a daemon that misbehaves:
  HOSTILE_MODE=silent   accepts connections, reads, never answers
  HOSTILE_MODE=garbage  answers every read with random bytes
Its socket is /run/containerd/sc-hostile-$HOSTILE_TAG-<pid>-<n>.sock, where
a shim socket may be.  The daemon stops by itself after 120 s whatever
happens."""
import os, random, socket, sys, time

mode = os.environ.get("HOSTILE_MODE", "silent")
if "start" not in sys.argv:
    sys.exit(0)
os.makedirs("/run/containerd", exist_ok=True)
path = "/run/containerd/sc-hostile-%s-%d-%d.sock" % (os.environ.get("HOSTILE_TAG", "x"), os.getpid(),
                                                     random.randrange(1 << 30))
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o600)
srv.listen(16)
if os.fork() == 0:
    os.setsid()
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    srv.settimeout(1.0)
    conns = []
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            try:
                c, _ = srv.accept()
                c.setblocking(False)
                conns.append(c)
            except socket.timeout:
                pass
            for c in list(conns):
                try:
                    data = c.recv(65536)
                    if not data:
                        conns.remove(c)
                    elif mode == "garbage":
                        c.send(os.urandom(random.randrange(1, 64)))
                except BlockingIOError:
                    pass
                except OSError:
                    conns.remove(c)
    finally:
        os.unlink(path)
    os._exit(0)
sys.stdout.write("unix://" + path)
