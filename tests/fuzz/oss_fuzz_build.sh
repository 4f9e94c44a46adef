#!/usr/bin/env bash
# Runs fuzz/oss-fuzz-build.sh the way OSS-Fuzz and ClusterFuzzLite do (their
# variables for libFuzzer+ASan and for AFL++), then checks what it left in
# $OUT: one binary per target that runs its own seed corpus, a seed corpus
# zip, a dictionary and an options file.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/shimcheck-ossfuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
targets=$(grep -v '^#' "$root/fuzz/targets" | tr '\n' ' ')
fail() { echo "not ok: $*"; exit 1; }
run_build() { # name CC CXX CFLAGS ENGINE
  local name=$1
  mkdir -p "$tmp/$name/out" "$tmp/$name/work"
  # dependency sources are cached between the two builds (and may come from
  # a warm cache, as the Docker image's $SRC would provide them)
  if [ -d "$root/build-fuzz/deps/protobuf-c" ] && [ -d "$root/build-fuzz/deps/jansson" ]; then
    mkdir -p "$tmp/$name/src"; ln -s "$root/build-fuzz/deps/protobuf-c" "$tmp/$name/src/protobuf-c"
    ln -s "$root/build-fuzz/deps/jansson" "$tmp/$name/src/jansson"
  fi
  CC=$2 CXX=$3 CFLAGS=$4 CXXFLAGS=$4 LIB_FUZZING_ENGINE=$5 OUT=$tmp/$name/out \
    WORK=$tmp/$name/work SRC=$tmp/$name/src AFL_QUIET=1 \
    "$root/fuzz/oss-fuzz-build.sh" >"$tmp/$name/build.log" 2>&1 \
    || { tail -20 "$tmp/$name/build.log"; fail "$name: oss-fuzz-build.sh failed"; }
  for t in $targets; do
    for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
      [ -s "$tmp/$name/out/$f" ] || fail "$name: \$OUT/$f missing"
    done
    mkdir -p "$tmp/$name/seeds-$t"
    unzip -q "$tmp/$name/out/${t}_seed_corpus.zip" -d "$tmp/$name/seeds-$t"
    [ -n "$(ls -A "$tmp/$name/seeds-$t")" ] || fail "$name: empty seed corpus for $t"
  done
  echo "ok: $name build: 5 fuzzers, seed corpora, dictionaries, options"
}
san="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
run_build libfuzzer-asan clang clang++ \
  "$san -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link" "-fsanitize=fuzzer"
for t in $targets; do
  o=$tmp/libfuzzer-asan/out
  (cd "$tmp" && "$o/$t" -runs=0 -dict="$o/$t.dict" "$tmp/libfuzzer-asan/seeds-$t") >"$tmp/$t.run" 2>&1 \
    || { tail -5 "$tmp/$t.run"; fail "libFuzzer $t does not run its seeds"; }
  grep -q "INITED" "$tmp/$t.run" || fail "libFuzzer $t did not start"
done
echo "ok: every libFuzzer binary runs its seed corpus and dictionary"
if command -v afl-clang-fast >/dev/null; then
  run_build afl afl-clang-fast afl-clang-fast++ "-O1 -g" "-fsanitize=fuzzer"
  for t in $targets; do
    # AFL++'s driver runs a file given as an argument once, like a reproducer
    f=$(ls "$tmp/afl/seeds-$t" | head -1)
    "$tmp/afl/out/$t" "$tmp/afl/seeds-$t/$f" >/dev/null 2>&1 || fail "AFL++ $t fails on seed $f"
  done
  echo "ok: every AFL++ binary runs a seed"
fi
