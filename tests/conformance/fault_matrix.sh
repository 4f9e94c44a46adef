#!/usr/bin/env bash
# No case can silently become unfailable: every catalogue case must FAIL
# against containerd-shim-reffault-v1 with the fault listed for it in
# fault_matrix.tsv (and every case must be listed); and no fault may be in
# the production shim: none of the matrix's fault names is a string of it
# (the fault build, where the same check finds them, shows the check sees).
#   fault_matrix.sh SHIMCHECK REFFAULT_SHIM JOBS PRODUCTION_SHIM
set -uo pipefail
SHIMCHECK=$1 FAULTY=$2 JOBS=${3:-2} PROD=${4:?usage: fault_matrix.sh SHIMCHECK REFFAULT_SHIM JOBS PRODUCTION_SHIM}
HERE=$(cd "$(dirname "$0")" && pwd)
TSV=$HERE/fault_matrix.tsv
T=$(mktemp -d /tmp/sc-matrix.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

"$SHIMCHECK" list | awk '{print $1}' | sort >"$T/cases"
grep -v '^#' "$TSV" | cut -f1 | sort -u >"$T/listed"
missing=$(comm -23 "$T/cases" "$T/listed")
extra=$(comm -13 "$T/cases" "$T/listed")
if [ -z "$missing$extra" ]; then pass=$((pass+1)); echo "ok - every case has a fault that must break it";
else fail=$((fail+1)); echo "not ok - matrix and catalogue differ"; echo "#   not in the matrix: $missing"; echo "#   not in the catalogue: $extra"; fi

run_one() { # id faults [containerd version] -> prints ok/not ok line
  local id=$1 faults=$2 version=${3:-} out
  out=$(SHIMCHECK_FAULTS="$faults" timeout -k 5 120 "$SHIMCHECK" run --shim "$FAULTY" \
          ${version:+--containerd "$version"} --filter "^${id//./\\.}\$" --timeout-scale 0.5 2>/dev/null)
  if echo "$out" | grep -q "^not ok 1 - $id "; then
    echo "ok - $id fails under $faults${version:+ (as containerd $version)}"
  elif echo "$out" | grep -q "^ok 1 - $id "; then
    echo "not ok - $id PASSES under $faults: the case cannot detect it"
  else
    echo "not ok - $id: no result under $faults"; echo "$out" | sed 's/^/#   /' | head -5
  fi
}
export -f run_one
export SHIMCHECK FAULTY
grep -v '^#' "$TSV" | xargs -P "$JOBS" -L 1 bash -c 'run_one "$0" "$1" "${2:-}"' >"$T/results"
cat "$T/results"
pass=$((pass + $(grep -c '^ok' "$T/results")))
fail=$((fail + $(grep -c '^not ok' "$T/results")))
# the faults must be absent from the production binary
grep -v '^#' "$TSV" | cut -f2 | tr ',' '\n' | sort -u >"$T/faults"
strings "$FAULTY" | sort -u | grep -Fxf "$T/faults" >"$T/in-fault-build"
strings "$PROD" | sort -u | grep -Fxf "$T/faults" >"$T/in-production"
seen=$(wc -l <"$T/in-fault-build") total=$(wc -l <"$T/faults")
if [ ! -s "$T/in-production" ] && [ "$seen" -ge $((total / 2)) ] && ! strings "$PROD" | grep -q SHIMCHECK_FAULTS; then
  pass=$((pass+1)); echo "ok - no fault in the production shim ($seen of $total fault names found in the fault build, 0 in $PROD)"
else
  fail=$((fail+1)); echo "not ok - fault code in the production shim, or the check is blind ($seen of $total in the fault build):"
  sed 's/^/#   /' "$T/in-production"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
