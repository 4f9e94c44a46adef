#!/usr/bin/env python3
"""Compares how a real containerd drove a shim with how shimcheck's runner,
acting as the same containerd version, drove it: two `shimcheck record`
directories (invocations.jsonl, frames.bin).  One TAP line per aspect; a
difference names the field.  Ids, paths, pids and timestamps are normalised
away; what is compared is the protocol's shape:
  start/delete argv (flag sequence), containerd's environment variables,
  start's stdin (its kind and decoded fields), start's answer form, the bundle's
  files at start and at delete (and the texts of bootstrap.json), the task
  service, and per task method the request fields, metadata keys and whether a
  deadline travels with it.
  fidelity_compare.py CONTAINERD_DIR RUNNER_DIR"""
import json, struct, sys

def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << s; s += 7
        if c < 0x80:
            return v, i

def fields(b):
    """{field number: [raw values]} of one protobuf message (no nesting)"""
    out, i = {}, 0
    while i < len(b):
        key, i = varint(b, i)
        n, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            l, i = varint(b, i)
            v, i = b[i:i + l], i + l
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(n, []).append(v)
    return out

def invocations(d):
    return [json.loads(l) for l in open(d + "/invocations.jsonl")]

def flag_shape(argv):
    """-namespace X -address Y ... start -> ['-namespace', '-address', ..., 'start']"""
    out, i = [], 0
    valued = {"-namespace", "-address", "-publish-binary", "-id", "-bundle"}
    while i < len(argv):
        out.append(argv[i])
        i += 2 if argv[i] in valued else 1
    return out

def stdin_kind(h):
    b = bytes.fromhex(h)
    if not b:
        return "empty"
    f = fields(b)
    if set(f) - {1, 2}:
        return "BootstrapParams fields %s" % sorted(f)
    return "Any %s" % f.get(1, [b""])[0].decode(errors="replace")

def answer_form(h):
    b = bytes.fromhex(h).strip()
    if b.startswith(b"unix://"):
        return "plain"
    if b.startswith(b"{"):
        return "json version %s" % json.loads(b).get("version")
    return "protobuf"

def requests(d):
    """per method: {fields: set, meta: set, deadline: set(bool)}, and the services"""
    fr = open(d + "/frames.bin", "rb").read()
    off, per, services = 0, {}, set()
    while off < len(fr):
        direction, conn, ns, ln = struct.unpack("<BIQI", fr[off:off + 17])
        body = fr[off + 17:off + 17 + ln]
        off += 17 + ln
        if direction != 0 or len(body) < 10 or body[8] != 1:
            continue
        env = fields(body[10:])
        service = env.get(1, [b""])[0].decode()
        method = env.get(2, [b""])[0].decode()
        if not service.startswith("containerd.task."):
            continue
        services.add(service)
        payload = fields(env.get(3, [b""])[0])
        meta = {fields(kv).get(1, [b""])[0].decode() for kv in env.get(5, [])}
        m = per.setdefault(method, {"fields": set(), "meta": set(), "deadline": set()})
        m["fields"] |= set(payload)
        m["meta"] |= meta
        m["deadline"].add(4 in env)
    return per, services

def main(cd, sc):
    results = []
    def check(name, a, b):
        results.append((name, a == b, a, b))
    ci, si = invocations(cd), invocations(sc)
    for action in ("start", "delete"):
        a = [i for i in ci if i["action"] == action]
        b = [i for i in si if i["action"] == action]
        if not a or not b:
            results.append(("%s: recorded on both sides" % action, False, len(a), len(b)))
            continue
        a, b = a[0], b[0]
        check("%s: argv flags" % action, flag_shape(a["argv"]), flag_shape(b["argv"]))
        check("%s: containerd's environment variables" % action, sorted(a["env"]), sorted(b["env"]))
        for k in ("MAX_SHIM_VERSION", "GOMAXPROCS", "SCHED_CORE"):
            check("%s: %s" % (action, k), a["env"].get(k), b["env"].get(k))
        check("%s: stdin" % action, stdin_kind(a["stdin_hex"]), stdin_kind(b["stdin_hex"]))
        check("%s: bundle files" % action, sorted(a["bundle_files"]), sorted(b["bundle_files"]))
        if action == "start":
            check("start: answer form (the shim's)", answer_form(a["output_hex"]), answer_form(b["output_hex"]))
        else:
            ja, jb = a["bundle_texts"].get("bootstrap.json"), b["bundle_texts"].get("bootstrap.json")
            keys = lambda t: sorted(json.loads(t)) if t else None
            check("delete: bootstrap.json keys", keys(ja), keys(jb))
            check("delete: shim-binary-path written", "shim-binary-path" in a["bundle_texts"],
                  "shim-binary-path" in b["bundle_texts"])
    (pa, sa), (pb, sb) = requests(cd), requests(sc)
    check("task service", sorted(sa), sorted(sb))
    for method in sorted(set(pa) & set(pb)):
        # containerd's fields the runner never sent are the gap; the runner's
        # cases also send what containerd's client can (e.g. Kill all)
        missing = sorted(pa[method]["fields"] - pb[method]["fields"])
        results.append(("%s: request fields containerd sends" % method, not missing,
                        sorted(pa[method]["fields"]), sorted(pb[method]["fields"])))
        check("%s: metadata keys" % method, sorted(pa[method]["meta"]), sorted(pb[method]["meta"]))
        check("%s: deadline sent" % method, sorted(pa[method]["deadline"]), sorted(pb[method]["deadline"]))
    results.append(("methods compared: %s" % " ".join(sorted(set(pa) & set(pb))), True, None, None))
    bad = 0
    for name, good, a, b in results:
        if good:
            print("ok - %s" % name)
        else:
            bad += 1
            print("not ok - %s\n#   containerd: %s\n#   runner:     %s" % (name, a, b))
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
