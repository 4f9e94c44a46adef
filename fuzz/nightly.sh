#!/usr/bin/env bash
# The nightly fuzz job: builds every target for libFuzzer (ASan+UBSan), AFL++
# (persistent mode) and AFL++ CMPLOG, then per target
#   1. libFuzzer for half the time (-fork=N when N > 1), seeded from
#      corpora/<target> and the corpus kept from earlier nights;
#   2. AFL++ for the other half: afl-cmin'ed seeds, one -M main and N-1 -S
#      secondaries, the first of them with the CMPLOG build (-c, -l 2AT);
#   3. merges everything into a minimised corpus (libFuzzer -merge=1);
#   4. minimises every crash and records its stack.
# Writes OUT/fuzz-summary.json and OUT/fuzz-summary.md; exits 1 on a crash,
# 2 on a usage or build error.
#
# Usage: fuzz/nightly.sh --time SECONDS [--jobs N] [--targets a,b] [--out DIR]
#          [--no-afl] [--no-build]
#   --time     fuzzing time per target (split between the engines)
#   --jobs     parallel fuzzing processes (default: nproc)
#   --out      default out/; the corpora kept between nights live in OUT/fuzz/<t>/corpus
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
time_s="" jobs=$(nproc) out=$root/out afl=1 build=1
targets=$(grep -v '^#' "$root/fuzz/targets" | tr '\n' ' ')
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --time) time_s=${2:-}; shift 2 ;;
    --jobs) jobs=${2:-}; shift 2 ;;
    --targets) targets=${2//,/ }; shift 2 ;;
    --out) out=${2:-}; shift 2 ;;
    --no-afl) afl=0; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage ;;
    *) echo "nightly.sh: unknown option $1" >&2; usage ;;
  esac
done
[[ "$time_s" =~ ^[0-9]+$ && "$time_s" -ge 2 ]] || { echo "nightly.sh: --time SECONDS (>= 2) is required" >&2; exit 2; }
[[ "$jobs" =~ ^[0-9]+$ && "$jobs" -ge 1 ]] || { echo "nightly.sh: --jobs must be a positive number" >&2; exit 2; }
for t in $targets; do
  [ -d "$root/corpora/$t" ] || { echo "nightly.sh: unknown target $t" >&2; exit 2; }
done
if [ "$afl" = 1 ] && ! command -v afl-fuzz >/dev/null; then
  echo "nightly.sh: afl-fuzz not found (ci/bootstrap.sh installs afl++); use --no-afl" >&2; exit 2
fi
mkdir -p "$out/fuzz"
out=$(cd "$out" && pwd)
work=$out/fuzz
export FUZZ_BUILD=${FUZZ_BUILD:-$root/build-fuzz}

log() { echo "nightly: $*" >&2; }

# --- builds -----------------------------------------------------------------
engines="libfuzzer"
[ "$afl" = 1 ] && engines="libfuzzer afl cmplog"
for e in $engines; do
  if [ "$build" = 1 ]; then
    log "building $e"
    "$root/fuzz/build.sh" "$e" >/dev/null || { log "build $e failed"; exit 2; }
  fi
  [ -d "$FUZZ_BUILD/$e/fuzzers" ] || { log "no $e build in $FUZZ_BUILD"; exit 2; }
done
lf=$FUZZ_BUILD/libfuzzer/fuzzers

lf_asan=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1:detect_leaks=1}
export ASAN_OPTIONS=$lf_asan
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
  AFL_FAST_CAL=1 AFL_CMPLOG_ONLY_NEW=1 AFL_IGNORE_SEED_PROBLEMS=1 AFL_IMPORT_FIRST=1 \
  AFL_NO_AFFINITY=1 AFL_FINAL_SYNC=1

half=$(( time_s / 2 )); [ "$afl" = 1 ] || half=$time_s
[ "$half" -ge 1 ] || half=1

# options files carry per-target libFuzzer settings (dict, max_len)
lf_opts() {
  local t=$1 opts=() f=$root/fuzz/$t.options
  [ -f "$root/fuzz/$t.dict" ] && opts+=("-dict=$root/fuzz/$t.dict")
  if [ -f "$f" ]; then
    while IFS='= ' read -r k v; do
      [[ -z "$k" || "$k" == \[* || "$k" == \#* || "$k" == dict ]] && continue
      opts+=("-$k=$v")
    done <"$f"
  fi
  [ ${#opts[@]} -eq 0 ] || printf '%s\n' "${opts[@]}"
}

summary_rows=()
crashed=0
for t in $targets; do
  d=$work/$t
  rm -rf "$d/crashes" "$d/afl"   # tonight's findings only; the corpus is kept
  mkdir -p "$d/corpus" "$d/crashes" "$d/lf-new"
  mapfile -t opts < <(lf_opts "$t")
  # --- libFuzzer ------------------------------------------------------------
  log "$t: libFuzzer ${half}s, $jobs job(s)"
  lflog=$d/libfuzzer.log
  fork=(); [ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=1)
  ( cd "$d" && timeout -k 10 $(( half + 60 )) "$lf/$t" "${opts[@]}" "${fork[@]}" \
      -max_total_time="$half" -print_final_stats=1 -artifact_prefix="$d/crashes/lf-" \
      "$d/lf-new" "$d/corpus" "$root/corpora/$t" ) >"$lflog" 2>&1
  # --- AFL++ ------------------------------------------------------------------
  aflexecs=0 aflspeed=0 aflcrash=0
  if [ "$afl" = 1 ]; then
    log "$t: AFL++ ${half}s, 1 main + $(( jobs - 1 )) secondary (CMPLOG first)"
    seeds=$d/afl-seeds; rm -rf "$seeds" "$d/afl-in"; mkdir -p "$d/afl-in"
    cp "$root/corpora/$t"/* "$d/corpus"/* "$d/lf-new"/* "$d/afl-in"/ 2>/dev/null
    find "$d/afl-in" -size +1M -delete
    if ! AFL_QUIET=1 timeout 300 afl-cmin -i "$d/afl-in" -o "$seeds" -- "$FUZZ_BUILD/afl/fuzzers/$t" >"$d/afl-cmin.log" 2>&1; then
      rm -rf "$seeds"; mkdir -p "$seeds"; cp "$d/afl-in"/* "$seeds"/ 2>/dev/null
    fi
    [ -n "$(ls -A "$seeds" 2>/dev/null)" ] || printf 'x' >"$seeds/empty"
    dict=(); [ -f "$root/fuzz/$t.dict" ] && dict=(-x "$root/fuzz/$t.dict")
    pids=()
    export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0
    # each afl-fuzz leads its own process group: its forkservers (the CMPLOG
    # one included) go with it at the end, none is left orphaned or stopped
    setsid afl-fuzz -M main -i "$seeds" -o "$d/afl" -V "$half" "${dict[@]}" \
      $([ "$jobs" -eq 1 ] && echo "-c $FUZZ_BUILD/cmplog/fuzzers/$t -l 2AT") \
      -- "$FUZZ_BUILD/afl/fuzzers/$t" >"$d/afl-main.log" 2>&1 &
    pids+=($!)
    for i in $(seq 1 $(( jobs - 1 ))); do
      extra=(-p explore); [ "$i" -eq 1 ] && extra=(-c "$FUZZ_BUILD/cmplog/fuzzers/$t" -l 2AT)
      setsid afl-fuzz -S "sec$i" -i "$seeds" -o "$d/afl" -V "$half" "${dict[@]}" "${extra[@]}" \
        -- "$FUZZ_BUILD/afl/fuzzers/$t" >"$d/afl-sec$i.log" 2>&1 &
      pids+=($!)
    done
    # afl-fuzz stops itself at -V; the deadline is ours
    deadline=$(( $(date +%s) + half + 120 ))
    for p in "${pids[@]}"; do
      while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
      kill -0 "$p" 2>/dev/null && { kill "$p"; sleep 2; kill -9 "$p" 2>/dev/null; }
      wait "$p" 2>/dev/null
      kill -KILL -- "-$p" 2>/dev/null # whatever of its group is left
    done
    export ASAN_OPTIONS=$lf_asan
    for s in "$d"/afl/*/fuzzer_stats; do
      [ -f "$s" ] || continue
      aflexecs=$(( aflexecs + $(awk -F' *: *' '$1=="execs_done"{print $2}' "$s") ))
      aflspeed=$(awk -F' *: *' -v a="$aflspeed" '$1=="execs_per_sec"{printf "%.0f", a + $2}' "$s")
    done
    for c in "$d"/afl/*/crashes/id:*; do
      [ -f "$c" ] || continue
      cp "$c" "$d/crashes/afl-$(basename "$(dirname "$(dirname "$c")")")-$(basename "$c" | cut -d, -f1 | tr ':' '-')"
      aflcrash=$(( aflcrash + 1 ))
    done
  fi
  # --- merge into the kept corpus -------------------------------------------
  log "$t: merging corpora"
  mkdir -p "$d/corpus.new"
  merge_in=("$d/corpus" "$d/lf-new" "$root/corpora/$t")
  for q in "$d"/afl/*/queue; do [ -d "$q" ] && merge_in+=("$q"); done
  ( cd "$d" && timeout -k 10 600 "$lf/$t" "${opts[@]}" -merge=1 "$d/corpus.new" "${merge_in[@]}" ) \
    >"$d/merge.log" 2>&1
  if [ -n "$(ls -A "$d/corpus.new" 2>/dev/null)" ]; then
    rm -rf "$d/corpus" "$d/lf-new"; mv "$d/corpus.new" "$d/corpus"; mkdir -p "$d/lf-new"
  else
    rm -rf "$d/corpus.new"
  fi
  # --- crashes: minimise, stack ---------------------------------------------
  n=0
  for c in "$d"/crashes/*; do
    [ -f "$c" ] || continue
    case $c in *.min|*.stack) continue ;; esac
    crashed=1
    n=$(( n + 1 ))
    if [ "$n" -le 5 ]; then  # the first five are minimised (30 s each), all get a stack
      ( cd "$d" && timeout -k 5 60 "$lf/$t" "${opts[@]}" -minimize_crash=1 -max_total_time=30 \
          -exact_artifact_path="$c.min" "$c" ) >/dev/null 2>&1 || true
    fi
    [ -f "$c.min" ] || cp "$c" "$c.min"
    ( timeout -k 5 60 "$lf/$t" "$c.min" ) >"$c.stack" 2>&1
  done
  # --- figures ----------------------------------------------------------------
  summary_rows+=("$(python3 - "$t" "$d" "$lflog" "$aflexecs" "$aflspeed" "$half" "$afl" <<'PY'
import json, os, re, sys
t, d, lflog, aflexecs, aflspeed, half, afl = sys.argv[1:8]
text = open(lflog, errors="replace").read()
execs = cov = ft = 0
speed = 0
m = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
if m:
    execs = int(m[-1])
for mm in re.finditer(r"#(\d+)[:\s]+(?:\w+\s+)?cov: (\d+) ft: (\d+).*?exec/s:? (\d+)", text):
    execs = max(execs, int(mm.group(1)))
    cov, ft, speed = int(mm.group(2)), int(mm.group(3)), int(mm.group(4))
m = re.findall(r"stat::average_exec_per_sec:\s*(\d+)", text)
if m:
    speed = int(m[-1])
corpus = os.path.join(d, "corpus")
files = [os.path.join(corpus, f) for f in os.listdir(corpus)] if os.path.isdir(corpus) else []
crashes = []
cdir = os.path.join(d, "crashes")
for f in sorted(os.listdir(cdir)) if os.path.isdir(cdir) else []:
    if f.endswith((".min", ".stack")):
        continue
    p = os.path.join(cdir, f)
    st = open(p + ".stack", errors="replace").read() if os.path.exists(p + ".stack") else ""
    frames = [l.strip() for l in st.splitlines() if re.match(r"\s*#\d+ ", l)][:12]
    summ = [l.strip() for l in st.splitlines() if "SUMMARY" in l or "invariant violated" in l][:2]
    crashes.append({"input": p, "reproducer": p + ".min", "summary": summ, "stack": frames})
print(json.dumps({"target": t, "libfuzzer": {"execs": execs, "exec_per_sec": speed, "coverage": cov,
                  "features": ft, "seconds": int(half)},
                  "afl": {"execs": int(aflexecs), "exec_per_sec": int(aflspeed), "seconds": int(half)} if afl == "1" else None,
                  "corpus": {"files": len(files), "bytes": sum(os.path.getsize(f) for f in files)},
                  "crashes": crashes}))
PY
)")
done

python3 - "$out" "${summary_rows[@]}" <<'PY'
import datetime, json, sys
out, rows = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
doc = {"generated": datetime.datetime.utcnow().isoformat() + "Z", "targets": rows,
       "crashes": sum(len(r["crashes"]) for r in rows)}
json.dump(doc, open(out + "/fuzz-summary.json", "w"), indent=2)
md = ["# shimcheck fuzz summary", "", "| target | libFuzzer execs | exec/s | cov | AFL++ execs | AFL++ exec/s | corpus | crashes |",
      "|---|---|---|---|---|---|---|---|"]
for r in rows:
    a = r["afl"] or {"execs": "-", "exec_per_sec": "-"}
    md.append("| %s | %s | %s | %s | %s | %s | %d files, %d B | %d |" % (
        r["target"], r["libfuzzer"]["execs"], r["libfuzzer"]["exec_per_sec"], r["libfuzzer"]["coverage"],
        a["execs"], a["exec_per_sec"], r["corpus"]["files"], r["corpus"]["bytes"], len(r["crashes"])))
for r in rows:
    for c in r["crashes"]:
        md += ["", "## crash in %s" % r["target"], "", "reproducer: `%s`" % c["reproducer"], ""]
        md += ["    " + l for l in c["summary"] + c["stack"]]
open(out + "/fuzz-summary.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
if [ "$crashed" = 1 ]; then
  log "CRASHES found: see $out/fuzz-summary.md"
  exit 1
fi
log "no crash"
exit 0
