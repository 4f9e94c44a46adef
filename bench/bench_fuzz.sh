#!/usr/bin/env bash
# Fuzz target speed: each target alone (one core), libFuzzer + ASan + UBSan
# with protobuf-c and jansson compiled in, from its seed corpus, for SECONDS.
# Prints executions, exec/s and coverage per target against the goals.
#   bench/bench_fuzz.sh [SECONDS]   (default 60)
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$("$root/fuzz/build.sh" libfuzzer 2>/dev/null | tail -1)
tmp=$(mktemp -d /tmp/shimcheck-benchfuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
printf '%-22s %12s %10s %8s %8s  %s\n' target execs exec/s cov ft goal
for t in $(grep -v '^#' "$root/fuzz/targets"); do
  mkdir -p "$tmp/$t"
  # the target's own options (max_len), as the nightly job and OSS-Fuzz use them
  ml=$(sed -n 's/^max_len *= *//p' "$root/fuzz/$t.options")
  (cd "$tmp" && "$dir/$t" -max_total_time="$secs" -print_final_stats=1 -dict="$root/fuzz/$t.dict" \
     ${ml:+-max_len=$ml} "$tmp/$t" "$root/corpora/$t") >"$tmp/$t.log" 2>&1 || true
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$tmp/$t.log" | grep -oE '[0-9]+$' || echo 0)
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$tmp/$t.log" | grep -oE '[0-9]+$' || echo 0)
  last=$(grep -E 'cov: [0-9]+ ft: [0-9]+' "$tmp/$t.log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')
  case $t in ttrpc_frame) goal=">= 150000" ;; oci_config) goal=">= 20000" ;; task_dispatch) goal=">= 10000" ;; *) goal="-" ;; esac
  printf '%-22s %12s %10s %8s %8s  %s\n' "$t" "$execs" "$speed" "$cov" "$ft" "$goal"
  grep -q "ERROR\|invariant violated" "$tmp/$t.log" && { echo "  CRASH in $t:"; grep -m3 "ERROR\|invariant" "$tmp/$t.log"; }
done
