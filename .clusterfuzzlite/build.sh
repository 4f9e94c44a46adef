#!/bin/bash -eu
# ClusterFuzzLite build: the same script OSS-Fuzz would run.
"$SRC/shimcheck/fuzz/oss-fuzz-build.sh"
