#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script (the contract of their build.sh):
# compiles with $CC/$CXX and $CFLAGS/$CXXFLAGS, links every target with
# $LIB_FUZZING_ENGINE (C++ linker), writes $OUT/<target>,
# $OUT/<target>_seed_corpus.zip (seeds + regressions), $OUT/<target>.dict and
# $OUT/<target>.options; temporaries in $WORK.  protobuf-c and jansson are
# compiled in (instrumented): from $SRC/protobuf-c and $SRC/jansson when the
# Dockerfile put them there, otherwise fetched from Debian by fetch-deps.sh.
# .clusterfuzzlite/build.sh calls this; an OSS-Fuzz project's build.sh would too.
: "${CC:?} ${CXX:?} ${CFLAGS?} ${CXXFLAGS?} ${LIB_FUZZING_ENGINE:?} ${OUT:?} ${WORK:?}"
src=$(cd "$(dirname "$0")/.." && pwd)
targets=$(grep -v '^#' "$src/fuzz/targets" | tr '\n' ' ')
deps=$WORK/shimcheck-deps
if [ -n "${SRC:-}" ] && [ -f "$SRC/protobuf-c/protobuf-c/protobuf-c.c" ] && [ -f "$SRC/jansson/CMakeLists.txt" ]; then
  mkdir -p "$deps"; ln -sfn "$SRC/protobuf-c" "$deps/protobuf-c"; ln -sfn "$SRC/jansson" "$deps/jansson"
else
  "$src/fuzz/fetch-deps.sh" "$deps" >/dev/null
fi
build=$WORK/shimcheck-build
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_C_COMPILER="$CC" \
  -DCMAKE_CXX_COMPILER="$CXX" -DSHIMCHECK_TESTS=OFF -DSHIMCHECK_STATIC_SHIM=OFF \
  -DSHIMCHECK_DEPS_SRC="$deps" -DSHIMCHECK_FUZZ_LINK="$LIB_FUZZING_ENGINE" >/dev/null
cmake --build "$build" -j "$(nproc)" --target $targets >/dev/null
mkdir -p "$OUT"
for t in $targets; do
  cp "$build/fuzzers/$t" "$OUT/$t"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$src/corpora/$t" && find . -type f ! -name '.*' -print | zip -q -j "$OUT/${t}_seed_corpus.zip" -@)
  cp "$src/fuzz/$t.dict" "$src/fuzz/$t.options" "$OUT/"
done
echo "oss-fuzz-build: $(echo $targets | wc -w) fuzzers in $OUT"
