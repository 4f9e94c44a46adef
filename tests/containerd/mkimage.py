#!/usr/bin/env python3
"""Builds an OCI image tarball holding busybox-static, for `ctr images import`
(the tests have no registry).  Usage: mkimage.py OUT.tar NAME [BUSYBOX]"""
import hashlib, io, json, os, sys, tarfile, time

APPLETS = ["sh", "echo", "cat", "sleep", "true", "false", "ls", "ps", "kill", "hostname", "seq",
           "tty", "printf", "env", "id", "wc", "head", "tail", "yes", "dd", "md5sum", "sha256sum",
           "grep", "sed", "stty", "mkdir", "rm", "touch", "test", "pwd", "uname", "stat", "timeout",
           "nproc", "cut", "tr", "xargs", "find", "readlink", "date", "trap"]


def layer(busybox):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ["bin", "proc", "dev", "sys", "tmp", "etc", "root", "run"]:
            ti = tarfile.TarInfo(d)
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o1777 if d == "tmp" else 0o755
            t.addfile(ti)
        data = open(busybox, "rb").read()
        ti = tarfile.TarInfo("bin/busybox")
        ti.size = len(data)
        ti.mode = 0o755
        t.addfile(ti, io.BytesIO(data))
        for a in APPLETS:
            ti = tarfile.TarInfo("bin/" + a)
            ti.type = tarfile.SYMTYPE
            ti.linkname = "busybox"
            t.addfile(ti)
        for name, text in [("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                           ("etc/group", "root:x:0:\ntty:x:5:\n")]:
            b = text.encode()
            ti = tarfile.TarInfo(name)
            ti.size = len(b)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(b))
    return buf.getvalue()


def blob(t, data):
    d = hashlib.sha256(data).hexdigest()
    ti = tarfile.TarInfo("blobs/sha256/" + d)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
    return "sha256:" + d, len(data)


def main():
    out, name = sys.argv[1], sys.argv[2]
    busybox = sys.argv[3] if len(sys.argv) > 3 else "/bin/busybox"
    lay = layer(busybox)
    diff_id = "sha256:" + hashlib.sha256(lay).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode()
    with tarfile.open(out, "w") as t:
        ldig, lsize = blob(t, lay)
        cdig, csize = blob(t, config)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": cdig, "size": csize},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": ldig, "size": lsize}],
        }).encode()
        mdig, msize = blob(t, manifest)
        index = json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": mdig, "size": msize,
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": "latest"},
            "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
        for fname, data in [("index.json", index), ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')]:
            ti = tarfile.TarInfo(fname)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))


if __name__ == "__main__":
    main()
