#!/usr/bin/env bash
# All tests: bootstrap, configure + build (normal and ASan+UBSan), ctest both.
# Warnings are fatal in CI (CI=true) and when SHIMCHECK_WERROR=1.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/bootstrap.sh

WERROR=OFF
if [ "${CI:-}" = "true" ] || [ "${SHIMCHECK_WERROR:-0}" = "1" ]; then WERROR=ON; fi
JOBS=$(nproc)

echo "== build (normal) =="
cmake -S . -B build -DSHIMCHECK_WERROR=$WERROR >/dev/null
cmake --build build -j"$JOBS"

echo "== build (ASan+UBSan) =="
cmake -S . -B build-asan -DSHIMCHECK_SANITIZE=ON -DSHIMCHECK_WERROR=$WERROR \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$JOBS"

status=0
echo "== ctest (normal) =="
(cd build && ctest --output-on-failure --timeout 600) || status=1
echo "== ctest (ASan+UBSan) =="
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd build-asan && ctest --output-on-failure --timeout 600) || status=1
exit $status
