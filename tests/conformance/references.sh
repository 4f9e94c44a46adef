#!/usr/bin/env bash
# Every case reference names something a reader can open: containerd's
# sources, docs or tests at a tag, a CVE, a file of this repository, or a
# section of docs/ (the anchor must exist).  Nothing points at notes outside
# the repository.
#   references.sh SHIMCHECK
set -uo pipefail
SC=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
"$SC" list --format json | /usr/bin/python3 -c '
import json, os, re, sys
root = sys.argv[1]
bad = []
for c in json.load(sys.stdin):
    ref = c["reference"]
    why = []
    if re.search(r"facts|field-notes|§", ref):
        why.append("cites notes outside the repository")
    for part in [p.strip() for p in ref.split(";")]:
        m = re.match(r"(docs/[\w.-]+\.md)#(.*)$", part)
        if m:
            path = os.path.join(root, m.group(1))
            if not os.path.exists(path):
                why.append(m.group(1) + " does not exist")
                continue
            text = open(path, encoding="utf-8").read()
            for a in [x.strip().lstrip("#") for x in m.group(2).split(",")]:
                if "{#" + a + "}" not in text:
                    why.append(m.group(1) + " has no section #" + a)
        elif re.match(r"(corpora|conformance|reference-shim|harness|docs)/", part):
            if not os.path.exists(os.path.join(root, part.split()[0])):
                why.append(part + " does not exist")
        elif not (re.match(r"(Test\w+ \()?containerd v\d+\.\d+\.\d+ ", part) or part.startswith("CVE-")
                  or part.startswith("OCI runtime spec") or part.startswith("ttrpc ")):
            why.append("\"" + part + "\" names no source a reader can open")
    if why:
        bad.append("%s: %s" % (c["id"], "; ".join(why)))
for b in bad:
    print("not ok - " + b)
sys.exit(1 if bad else 0)
' "$root"
rc=$?
[ $rc -eq 0 ] && echo "ok - every case reference can be opened"
exit $rc
