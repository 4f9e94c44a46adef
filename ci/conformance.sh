#!/usr/bin/env bash
# The main job: build shimcheck and certify a shim with the conformance catalogue.
#   ci/conformance.sh [SHIM] [extra `shimcheck run` options...]
# SHIM defaults to the built-in reference shim (build/bin/containerd-shim-ref-v1);
# pass /usr/bin/containerd-shim-runc-v2 or your own shim binary to certify that.
# Reports (TAP, JUnit XML, JSON, HTML certificate) go to $OUT (default out/conformance).
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/bootstrap.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target shimcheck containerd-shim-ref-v1

SHIM=${1:-${SHIM:-build/bin/containerd-shim-ref-v1}}
[ $# -gt 0 ] && shift
OUT=${OUT:-out/conformance}
mkdir -p "$OUT"
echo "== shimcheck run --shim $SHIM -j $(nproc) --out $OUT $* =="
rc=0
build/bin/shimcheck run --shim "$SHIM" -j "$(nproc)" --out "$OUT" "$@" >"$OUT/stdout.tap" || rc=$?
grep -E '^(not ok|# )' "$OUT/stdout.tap" || true
echo "reports: $OUT/report.html (certificate), $OUT/junit.xml, $OUT/report.json, $OUT/results.tap"
exit $rc
