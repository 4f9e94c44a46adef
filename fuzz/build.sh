#!/usr/bin/env bash
# Builds the fuzz targets for one engine, with protobuf-c and jansson compiled
# in (fuzz/fetch-deps.sh) so the decoders are instrumented too.
#   fuzz/build.sh libfuzzer  clang, libFuzzer, ASan+UBSan      -> build-fuzz/libfuzzer/fuzzers/
#   fuzz/build.sh afl        afl-clang-fast, persistent mode    -> build-fuzz/afl/fuzzers/
#   fuzz/build.sh cmplog     the same with AFL_LLVM_CMPLOG=1    -> build-fuzz/cmplog/fuzzers/
#   fuzz/build.sh afl-asan   afl-clang-fast + ASan+UBSan        -> build-fuzz/afl-asan/fuzzers/
#   fuzz/build.sh coverage   clang source-based coverage, plain replay drivers
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_DEPS (default
# $FUZZ_BUILD/deps).  Prints the directory holding the binaries.
set -euo pipefail
engine=${1:?usage: fuzz/build.sh libfuzzer|afl|cmplog|afl-asan|coverage}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_BUILD:-$root/build-fuzz}
deps=${FUZZ_DEPS:-$out/deps}
mapfile -t targets < <(grep -v '^#' "$root/fuzz/targets")
"$root/fuzz/fetch-deps.sh" "$deps" >/dev/null

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
link=""
export AFL_QUIET=1
case $engine in
  libfuzzer) cc=clang; cxx=clang++; cflags="-O1 -g -fno-omit-frame-pointer $san -fsanitize=fuzzer-no-link"
             link="-fsanitize=fuzzer $san" ;;
  afl|cmplog) cc=afl-clang-fast; cxx=afl-clang-fast++; cflags="-O2 -g"; link="-fsanitize=fuzzer"
             [ "$engine" = cmplog ] && export AFL_LLVM_CMPLOG=1 ;;
  afl-asan)  cc=afl-clang-fast; cxx=afl-clang-fast++; cflags="-O1 -g -fno-omit-frame-pointer $san"
             link="-fsanitize=fuzzer $san" ;;
  coverage)  cc=clang; cxx=clang++; cflags="-O0 -g -fprofile-instr-generate -fcoverage-mapping"
             link="" ;;
  *) echo "fuzz/build.sh: unknown engine $engine" >&2; exit 2 ;;
esac
for tool in "$cc" "$cxx"; do
  command -v "$tool" >/dev/null || { echo "fuzz/build.sh: $tool not found (ci/bootstrap.sh installs it)" >&2; exit 1; }
done
dir=$out/$engine
CC=$cc CXX=$cxx CFLAGS="$cflags" CXXFLAGS="$cflags" \
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=None -DSHIMCHECK_TESTS=OFF \
  -DSHIMCHECK_STATIC_SHIM=OFF -DSHIMCHECK_DEPS_SRC="$deps" \
  -DSHIMCHECK_FUZZ_LINK="$link" -DCMAKE_EXE_LINKER_FLAGS="$([ "$engine" = coverage ] && echo -fprofile-instr-generate)" >/dev/null
if [ "$engine" = coverage ]; then
  cmake --build "$dir" -j "$(nproc)" --target $(printf 'fuzz_%s_replay ' "${targets[@]}") >/dev/null
  echo "$dir/bin"
else
  cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}" >/dev/null
  echo "$dir/fuzzers"
fi
