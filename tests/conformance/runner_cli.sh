#!/usr/bin/env bash
# shimcheck run as a CI gate: exit codes, baselines, reports, and hostile
# shims (hang in start, never answer, answer garbage, crash mid-run, fork
# children and die): the run completes, reports each as failing, and leaves
# nothing running or on disk.
#   runner_cli.sh SHIMCHECK REF_SHIM REFFAULT_SHIM
set -uo pipefail
SC=$1 REF=$2 FAULTY=$3
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/sc-runner.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
# other runs on this machine are not ours to judge: our runs make their temp
# dirs in $TMPDIR, their shims name it on their command line, and the
# hostile shims tag their sockets
export TMPDIR=$T/tmp HOSTILE_TAG=runner-$$
mkdir -p "$TMPDIR"
check() { if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok - $1"; else fail=$((fail+1)); echo "not ok - $1"; [ -n "${3:-}" ] && echo "$3" | head -20 | sed 's/^/#   /'; fi; }
run() { timeout -k 10 600 "$SC" run "$@" >"$T/out" 2>"$T/err"; echo $?; }

# --- the reference shim, strict, with every report ------------------------
rc=$(run --shim "$REF" --strict -j 2 --out "$T/rep")
check "reference shim passes the whole catalogue with --strict" $([ "$rc" -eq 0 ]; echo $?) "$(tail -5 "$T/err")"
n=$("$SC" list | wc -l)
check "TAP on stdout has a plan and one line per case" $(grep -qx "1..$n" "$T/out" && [ "$(grep -cE '^(not )?ok ' "$T/out")" -eq "$n" ]; echo $?) ""
python3 - "$T/rep" "$n" <<'PY' >"$T/validate" 2>&1
import json, sys, xml.etree.ElementTree as ET
d, n = sys.argv[1], int(sys.argv[2])
j = json.load(open(d + "/report.json"))
assert j["passed"] is True, "report.json: not passed"
assert len(j["cases"]) == n, "report.json: %d cases" % len(j["cases"])
for k in ("shim", "shim_sha256", "shim_version", "runtime_version", "kernel", "protocol", "containerd"):
    assert j["environment"].get(k), "environment." + k + " missing"
assert j["environment"]["containerd"].startswith("2.1 "), j["environment"]["containerd"]
for c in j["cases"]:
    assert c["level"] in ("MUST", "SHOULD", "COMPAT") and c["reference"], c["id"]
    assert c["containerd"] == "2.1", c["id"]
    # a case for other containerd versions is skipped, saying which; all else passes
    assert c["result"] == "PASS" or (c["result"] == "SKIP" and "this run acts as containerd 2.1" in c["message"]), c["id"]
root = ET.parse(d + "/junit.xml").getroot()
cases = root.findall(".//testcase")
assert len(cases) == n, "junit: %d testcases" % len(cases)
assert root.get("failures") == "0"
html = open(d + "/report.html").read()
assert "CONFORMANT" in html and html.count('class="id"') >= n
tap = open(d + "/results.tap").read()
assert tap.startswith("TAP version 13\n1..%d\n" % n)
print("reports valid")
PY
check "report.json, junit.xml, report.html and results.tap are valid and complete" $?  "$(cat "$T/validate")"

# --- gate semantics with the Go shim -----------------------------------------
BASE=$HERE/../../conformance/baselines/containerd-shim-runc-v2.txt
rc=$(run --shim /usr/bin/containerd-shim-runc-v2 -j 2 --filter '^(create\.duplicate|cleanup\.created-task|create\.pid)')
check "runc-v2: SHOULD failures do not gate by default (exit 0)" $([ "$rc" -eq 0 ]; echo $?) "$(tail -3 "$T/err")"
rc=$(run --shim /usr/bin/containerd-shim-runc-v2 -j 2 --strict --filter '^(create\.duplicate|cleanup\.created-task|create\.pid)')
check "runc-v2: --strict makes them gate (exit 1)" $([ "$rc" -eq 1 ]; echo $?) "$(tail -3 "$T/err")"
rc=$(run --shim /usr/bin/containerd-shim-runc-v2 -j 2 --strict --baseline "$BASE" --filter '^(create\.duplicate|cleanup\.created-task|create\.pid)')
check "runc-v2: --strict with its baseline passes (exit 0)" $([ "$rc" -eq 0 ]; echo $?) "$(tail -3 "$T/err")"
check "expected failures are TAP TODO" $(grep -q "not ok .* # TODO expected failure (baseline)" "$T/out"; echo $?) ""
printf 'create.pid-matches-state\n' >"$T/stale-baseline"
rc=$(run --shim "$REF" --baseline "$T/stale-baseline" --filter '^create\.pid-matches-state$')
check "a baseline entry that now passes is reported" $(grep -q "baseline entry now passes, remove it: create.pid-matches-state" "$T/out"; echo $?) "$(cat "$T/out")"
rc=$(SHIMCHECK_FAULTS=wrong-exit-code run --shim "$FAULTY" --filter '^exit\.wait-code$')
check "a MUST failure gates (exit 1)" $([ "$rc" -eq 1 ]; echo $?) ""
rc=$(run --shim "$T/nope")
check "a missing --shim is a usage error (exit 2)" $([ "$rc" -eq 2 ]; echo $?) ""
rc=$(run --shim "$REF" --filter '^no-such-case$')
check "a filter matching nothing is a usage error (exit 2)" $([ "$rc" -eq 2 ]; echo $?) ""
rc=$(run --shim "$REF" --containerd 1.5)
check "an unknown --containerd version is a usage error naming the known ones (exit 2)" \
  $([ "$rc" -eq 2 ] && grep -q "1.6, 1.7, 2.0, 2.1, 2.2, 2.3" "$T/err"; echo $?) "$(cat "$T/err")"

# --- containerd 2.x's v3 -> v2 fallback ---------------------------------------
# a shim that says version 3 but serves only containerd.task.v2.Task: 2.x
# retries the Unimplemented v3 Create on v2 and goes on; 1.7 refuses version 3
rc=$(SHIMCHECK_FAULTS=start-json-v3,no-task-v3 run --shim "$FAULTY" --containerd 2.1 --filter '^create\.pid-matches-state$' --out "$T/fb")
check "2.1: a v3 Create answered Unimplemented is retried on v2 (exit 0)" \
  $([ "$rc" -eq 0 ] && grep -q "retrying on containerd.task.v2.Task" "$T/fb/report.json"; echo $?) "$(tail -3 "$T/err")"
rc=$(SHIMCHECK_FAULTS=start-json-v3,no-task-v3 run --shim "$FAULTY" --containerd 1.7 --filter '^create\.pid-matches-state$')
check "1.7: a shim that answers JSON version 3 is refused (exit 1)" \
  $([ "$rc" -eq 1 ] && grep -q "shim version 3, which containerd 1.7 refuses" "$T/out"; echo $?) "$(grep message "$T/out")"

# --- --containerd all: the version-sensitive cases once per version ----------
rc=$(run --shim "$REF" --containerd all -j 2 --strict --filter '^(bootstrap\.|exit\.init-exit-last|create\.pid-matches-state)' --out "$T/all")
check "--containerd all: the reference shim passes every version's cases (exit 0)" $([ "$rc" -eq 0 ]; echo $?) "$(tail -5 "$T/err")"
python3 - "$T/all/report.json" <<'PY' >"$T/validate-all" 2>&1
import json, sys
j = json.load(open(sys.argv[1]))
assert j["environment"]["containerd"].startswith("all:"), j["environment"]["containerd"]
ids = {c["id"]: c for c in j["cases"]}
# versioned cases appear once per version they apply to, marked id@version
for v in ("1.6", "1.7", "2.0", "2.1", "2.2", "2.3"):
    c = ids["bootstrap.start-prints-one-address@" + v]
    assert c["containerd"] == v and c["result"] == "PASS", c
assert "bootstrap.containerd16-address@1.6" in ids and "bootstrap.containerd16-address@2.1" not in ids
assert ids["bootstrap.bootstrap-protocol@2.3"]["level"] == "MUST"
assert "bootstrap.bootstrap-protocol@2.1" not in ids
assert ids["exit.init-exit-last@1.6"]["level"] == "COMPAT" and ids["exit.init-exit-last@2.1"]["level"] == "SHOULD"
# the others run once, under the default version
assert ids["create.pid-matches-state"]["containerd"] == "2.1" and "create.pid-matches-state@1.6" not in ids
print("ok")
PY
check "--containerd all: versioned cases once per version (id@version, level per version), the rest once" $? "$(cat "$T/validate-all")"
"$SC" list --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)>=80 and all({"id","level","title","reference","group"}<=set(x) for x in d)'
check "list --format json gives id, group, level, title, reference for >= 80 cases" $? ""

# --- capability tags: --without makes a shim's missing features NOT APPLICABLE ---
rc=$("$SC" run --shim "$REF" --without nope >/dev/null 2>"$T/err"; echo $?)
check "an unknown --without tag is a usage error listing the tags (exit 2)" \
  $([ "$rc" -eq 2 ] && grep -q "terminal " "$T/err"; echo $?) "$(cat "$T/err")"
TAGGED='^(io\.tty-output-and-resize|exec\.terminal|control\.pause-resume-status|create\.pid-matches-state)$'
rc=$(SHIMCHECK_FAULTS=no-terminal,crash-on-Pause "$SC" run --shim "$FAULTY" --filter "$TAGGED" >"$T/out" 2>"$T/err"; echo $?)
check "a shim without terminals and Pause fails their cases when it does not say so (exit 1)" $([ "$rc" -eq 1 ]; echo $?) "$(tail -5 "$T/err")"
rc=$(SHIMCHECK_FAULTS=no-terminal,crash-on-Pause "$SC" run --shim "$FAULTY" --filter "$TAGGED" --without terminal,pause \
  --out "$T/wo" >"$T/out" 2>"$T/err"; echo $?)
check "declared --without terminal,pause: those cases are not applicable (exit 0), the rest still runs" \
  $([ "$rc" -eq 0 ] && [ "$(grep -c 'SKIP NOT APPLICABLE' "$T/out")" -eq 3 ] && grep -q '^ok .* create.pid-matches-state' "$T/out"; echo $?) "$(cat "$T/out")"
"$SC" run --shim "$REF" -j 2 --without terminal,runc --out "$T/wo-full" >/dev/null 2>&1
"$SC" list --capabilities >"$T/caps"
python3 - "$T/wo-full/report.json" "$T/caps" "$HERE/../../conformance/report.schema.json" >"$T/validate-wo" 2>&1 <<'PY'
import json, sys, jsonschema
r = json.load(open(sys.argv[1]))
jsonschema.validate(r, json.load(open(sys.argv[3])))
want, tag = set(), None
for line in open(sys.argv[2]):
    if not line.startswith(" "):
        tag = line.split()[0]
    elif tag in ("terminal", "runc"):
        want.add(line.strip())
na = {c["id"] for c in r["cases"] if c["not_applicable"]}
assert na == want, (na, want)
assert all(c["result"] == "SKIP" for c in r["cases"] if c["not_applicable"])
h = r["verdict"]["headline"]
assert r["without"] == ["terminal", "runc"] and "without terminal, runc (%d cases not applicable)" % len(want) in h, h
print("ok", h)
PY
check "a full run --without terminal,runc: exactly their cases N/A, the verdict names them, the report validates" $? "$(cat "$T/validate-wo")"

# --- hostile shims ------------------------------------------------------------
SUBSET='^(bootstrap\.start-prints-one-address|create\.pid-matches-state|exit\.wait-zero|cleanup\.nothing-survives)$'
printf '#!/bin/sh\nexec sleep 1000\n' >"$T/hang-start"; chmod +x "$T/hang-start"
hostile() { # name, expected failing cases, env...
  local name=$1 want=$2; shift 2
  local t0=$(date +%s)
  rc=$(env "$@" timeout -k 10 300 "$SC" run --shim "$SHIM" --filter "$SUBSET" -j 2 --timeout-scale 0.3 >"$T/out" 2>"$T/err"; echo $?)
  local secs=$(( $(date +%s) - t0 ))
  local failed=$(grep -c '^not ok ' "$T/out")
  check "$name: the run completes in ${secs}s, $want cases failing" $([ "$rc" -eq 1 ] && [ "$failed" -eq "$want" ]; echo $?) "rc $rc, $failed failing; $(tail -6 "$T/err")"
}
SHIM=$T/hang-start hostile "a shim that hangs in start" 4 X=1
SHIM=$HERE/hostile.py hostile "a shim that never answers" 4 HOSTILE_MODE=silent
SHIM=$HERE/hostile.py hostile "a shim that answers garbage" 4 HOSTILE_MODE=garbage
SHIM=$FAULTY hostile "a shim that crashes mid-run (in Create)" 3 SHIMCHECK_FAULTS=crash-on-Create
SHIM=$FAULTY hostile "a shim that forks children and dies" 3 SHIMCHECK_FAULTS=leak-child,crash-on-Create
sleep 0.5
# ours: a process whose command line or working directory is in our TMPDIR
ours() {
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' <"$p/cmdline"; echo; readlink "$p/cwd"; } 2>/dev/null | grep -qF "$TMPDIR/" \
      && echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
  done
}
left=$(ours)
check "nothing the hostile shims started is left running" $([ -z "$left" ]; echo $?) "$left"
new_dirs=$(ls -A "$TMPDIR")
check "no run dir left" $([ -z "$new_dirs" ]; echo $?) "$new_dirs"
check "no hostile socket left" $([ -z "$(ls /run/containerd/sc-hostile-"$HOSTILE_TAG"-* 2>/dev/null)" ]; echo $?) ""

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
