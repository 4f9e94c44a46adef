#!/usr/bin/env bash
# No report may overstate, and every report stays valid whatever the shim
# prints: a baseline's waived failures, a filtered run, an interrupted run
# are labelled as such; a shim printing bytes that are not UTF-8 (and
# backslashes, quotes, control characters, markup) still gets a valid
# junit.xml (Jenkins' JUnit schema), report.json, report.html and TAP whose
# YAML parses; JUnit agrees with the gate; --out and --shim are checked
# before any case runs.
#   hostile_reports.sh SHIMCHECK REF_SHIM
set -uo pipefail
SC=$1 REF=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/sc-reports.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
m() { case $1 in $2) echo 0 ;; *) echo 1 ;; esac; } # value, glob: 0 when it matches
check() { if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok - $1"; else fail=$((fail+1)); echo "not ok - $1"; [ -n "${3:-}" ] && echo "$3" | head -20 | sed 's/^/#   /'; fi; }
verdict() { /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verdict"]; print(v["class"]+"|"+v["headline"])' "$1/report.json"; }
export SC_REPORT_SCHEMA=$HERE/../../conformance/report.schema.json
valid_reports() { # dir -> 0 when all five are valid
  xmllint --noout --schema "$HERE/junit.xsd" "$1/junit.xml" >"$T/xmllint" 2>&1 || return 1
  xmllint --noout "$1/badge.svg" >>"$T/xmllint" 2>&1 || return 1
  /usr/bin/python3 - "$1" <<'PY' >"$T/valid" 2>&1 || return 1
import json, sys, yaml
d = sys.argv[1]
j = json.load(open(d + "/report.json", encoding="utf-8"))
assert j["cases"], "no cases"
import jsonschema, os
schema = json.load(open(os.environ["SC_REPORT_SCHEMA"]))
jsonschema.validate(j, schema)  # conformance/report.schema.json
html = open(d + "/report.html", encoding="utf-8").read()
assert "</html>" in html
tap = open(d + "/results.tap", encoding="utf-8").read()
# every YAML block of the TAP output parses, and gives the message back
blocks = tap.split("  ---\n")[1:]
for b in blocks:
    doc = yaml.safe_load(b.split("  ...\n")[0])
    assert isinstance(doc["message"], str), doc
print("valid")
PY
}

# --- a shim whose output is hostile to report writers -------------------------
timeout -k 10 300 "$SC" run --shim "$HERE/bad-bytes-shim" -j 2 --out "$T/bad" \
  --filter '^(bootstrap\.|create\.pid)' >"$T/out" 2>"$T/err"
rc=$?
check "bad bytes: the run ends with the gate failed (exit 1, got $rc)" $([ "$rc" -eq 1 ]; echo $?) "$(tail -3 "$T/err")"
valid_reports "$T/bad"
check "bad bytes: junit.xml validates, report.json follows its schema, report.html is UTF-8, TAP YAML parses, badge.svg is XML" $? "$(cat "$T/xmllint" "$T/valid")"
check "bad bytes: the shim's words reach the reports (backslash and quote kept)" \
  $(grep -qF 'bad ?? bytes \\ back\\slash \"quoted\"' "$T/bad/report.json"; echo $?) "$(grep -m1 -o 'bad.\{0,60\}' "$T/bad/report.json")"
check "bad bytes: no case ended without a result" $(! grep -q "ended without a result" "$T/out"; echo $?) ""

# --- JUnit agrees with the gate: non-gating failures are not <failure> --------
timeout -k 10 300 "$SC" run --shim /usr/bin/containerd-shim-runc-v2 -j 2 --out "$T/rv2" \
  --filter '^(create\.duplicate|cleanup\.created-task|create\.pid)' >"$T/out" 2>"$T/err"
rc=$?
failures=$(xmllint --xpath 'string(/testsuites/@failures)' "$T/rv2/junit.xml" 2>/dev/null)
check "runc-v2, SHOULD failures, not strict: exit 0 and junit failures=\"0\" (got $rc, $failures)" \
  $([ "$rc" -eq 0 ] && [ "$failures" = 0 ]; echo $?) ""
check "runc-v2: the non-gating failures are told in system-out" \
  $(grep -q "FAILED, not gating (SHOULD/COMPAT without --strict)" "$T/rv2/junit.xml"; echo $?) ""
valid_reports "$T/rv2"
check "runc-v2: junit.xml validates against the schema" $? "$(cat "$T/xmllint")"

# --- a pass with a baseline is not a certificate -----------------------------
timeout -k 10 600 "$SC" run --shim /usr/bin/containerd-shim-runc-v1 --strict -j 2 --out "$T/rv1" \
  --baseline "$HERE/../../conformance/baselines/containerd-shim-runc-v1.txt" >"$T/out" 2>"$T/err"
rc=$?
v=$(verdict "$T/rv1")
# (on failure: which cases failed outside the baseline, and why)
unwaived=$(/usr/bin/python3 -c 'import json,sys
for c in json.load(open(sys.argv[1]))["cases"]:
    if c["result"] not in ("PASS", "SKIP", "NOT_APPLICABLE") and not c.get("baseline"):
        print(c["id"], c["result"], c["message"][:300])' "$T/rv1/report.json" 2>&1)
check "runc-v1 with its baseline: the gate passes (exit 0, got $rc)" $([ "$rc" -eq 0 ]; echo $?) "$(tail -3 "$T/err"; echo "$unwaived")"
check "runc-v1 with its baseline: the verdict says not conformant, failures waived ($v)" \
  $(m "$v" 'fail|NOT CONFORMANT: * waived by the baseline*') ""
check "runc-v1 with its baseline: the certificate does not say CONFORMANT" \
  $(! grep -q '>CONFORMANT' "$T/rv1/report.html"; echo $?) ""
check "runc-v1: the invocation names the baseline and its digest" \
  $(/usr/bin/python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["invocation"]; assert i["baseline"]["sha256"] and i["baseline"]["ids"] and i["strict"] and i["catalogue_sha256"] and i["shimcheck_commit"]' "$T/rv1/report.json"; echo $?) ""

# --- a filtered run is partial ----------------------------------------------
timeout -k 10 300 "$SC" run --shim "$REF" -j 2 --out "$T/part" --filter '^create\.' >"$T/out" 2>"$T/err"
rc=$?
v=$(verdict "$T/part")
check "filtered run: exit 0 (got $rc) and the verdict is partial, naming the filter ($v)" \
  $([ "$rc" -eq 0 ] && [ "$(m "$v" 'partial|PARTIAL RUN (filter ^create*')" = 0 ]; echo $?) ""
timeout -k 10 300 "$SC" run --shim "$REF" -j 2 --out "$T/lvl" --level must --filter '^exit\.' >"$T/out" 2>"$T/err"
v=$(verdict "$T/lvl")
check "level-limited run: partial, naming the level ($v)" \
  $(m "$v" 'partial|*level must*') ""

# --- an interrupted run is incomplete and exits 130 -------------------------
"$SC" run --shim "$REF" -j 2 --out "$T/int" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 1 100); do grep -q '^\[ *[0-9]*/' "$T/err" && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
rc=$?
v=$(verdict "$T/int")
check "interrupted run: exit 130 (got $rc)" $([ "$rc" -eq 130 ]; echo $?) "$(tail -3 "$T/err")"
check "interrupted run: the verdict is incomplete ($v)" $(m "$v" 'incomplete|INCOMPLETE*') ""
check "interrupted run: unfinished cases are INTERRUPTED, none 'timed out'" \
  $(grep -q '"result": "INTERRUPTED"' "$T/int/report.json" && ! grep -q "timed out" "$T/int/report.json"; echo $?) ""
valid_reports "$T/int"
check "interrupted run: its reports are valid" $? "$(cat "$T/xmllint" "$T/valid")"

# --- options checked before any case runs -----------------------------------
touch "$T/afile"
timeout -k 10 60 "$SC" run --shim "$REF" --out "$T/afile" >"$T/out" 2>"$T/err"
rc=$?
check "--out that is a file: exit 3 before any case (got $rc)" \
  $([ "$rc" -eq 3 ] && ! grep -q '^\[ *1/' "$T/err"; echo $?) "$(cat "$T/err")"
mkdir -p "$T/ro" && chmod 0500 "$T/ro"
if [ "$(id -u)" -ne 0 ]; then
  timeout -k 10 60 "$SC" run --shim "$REF" --out "$T/ro/x" >"$T/out" 2>"$T/err"
  check "--out in a read-only dir: exit 3" $([ $? -eq 3 ]; echo $?) ""
fi
timeout -k 10 60 "$SC" run --shim "$HERE" >"$T/out" 2>"$T/err"
rc=$?
check "--shim that is a directory: usage error (exit 2, got $rc)" $([ "$rc" -eq 2 ]; echo $?) "$(cat "$T/err")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
