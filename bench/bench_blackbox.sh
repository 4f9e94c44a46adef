#!/usr/bin/env bash
# Black-box fuzzer throughput: `shimcheck fuzz` against the reference shim and
# containerd-shim-runc-v2 with the same seeds and corpus, SECONDS each.  Prints
# requests/s and, where the fuzzer stopped at a finding, the time it took.
#   bench/bench_blackbox.sh [SECONDS] [SEEDS...]   (default 60; seeds 1 2 3)
set -uo pipefail
secs=${1:-60}; shift || true
seeds=${*:-1 2 3}
root=$(cd "$(dirname "$0")/.." && pwd)
sc=$root/build/bin/shimcheck
tmp=$(mktemp -d /tmp/shimcheck-benchbb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
printf '%-40s %5s %9s %8s %8s  %s\n' shim seed requests seconds req/s result
for shim in "$root/build/bin/containerd-shim-ref-v1" /usr/bin/containerd-shim-runc-v2; do
  [ -x "$shim" ] || continue
  for s in $seeds; do
    out=$("$sc" fuzz --shim "$shim" --time "$secs" --seed "$s" --corpus "$root/corpora/task_dispatch" \
      --out "$tmp" 2>&1)
    line=$(echo "$out" | grep "requests/s")
    req=$(echo "$line" | sed -E 's/.*: ([0-9]+) requests \+ ([0-9]+) raw.*/\1/')
    t=$(echo "$line" | sed -E 's/.* in ([0-9.]+) s .*/\1/')
    rps=$(echo "$line" | sed -E 's/.*\(([0-9.]+) requests\/s\).*/\1/')
    res=$(echo "$out" | grep -m1 "^FINDING" | cut -c1-60); res=${res:-nothing found}
    printf '%-40s %5s %9s %8s %8s  %s\n' "$(basename "$shim")" "$s" "$req" "$t" "$rps" "$res"
  done
done
