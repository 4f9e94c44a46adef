#!/usr/bin/env bash
# Wall time of the full catalogue against a shim, -j 2 and serial, in one run.
#   bench/bench_conformance.sh [SHIM]   (default: /usr/bin/containerd-shim-runc-v2)
set -uo pipefail
cd "$(dirname "$0")/.."
SHIM=${1:-/usr/bin/containerd-shim-runc-v2}
SC=build/bin/shimcheck
n=$($SC list | wc -l)
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; awk -v a="$(date +%s.%N)" -v b="$s" 'BEGIN{print a-b}'; }
par=$(t $SC run --shim "$SHIM" -j 2)
ser=$(t $SC run --shim "$SHIM" -j 1)
printf '\nfull catalogue (%d cases) against %s\n\n| mode | wall time |\n|---|---|\n| -j 2 | %.1f s |\n| serial | %.1f s |\n' "$n" "$SHIM" "$par" "$ser"
