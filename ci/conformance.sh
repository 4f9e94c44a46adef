#!/usr/bin/env bash
# The main job: build shimcheck and check a shim.
#   ci/conformance.sh [SHIM]
# SHIM defaults to the built-in reference shim (build/bin/containerd-shim-ref-v1);
# pass /usr/bin/containerd-shim-runc-v2 or your own shim binary to check that.
# Today this runs `shimcheck probe` (launch as containerd does, Connect, State,
# Shutdown, delete, cleanup); it grows into the full conformance catalogue.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/bootstrap.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target shimcheck containerd-shim-ref-v1

SHIM=${1:-${SHIM:-build/bin/containerd-shim-ref-v1}}
echo "== shimcheck probe --shim $SHIM =="
exec build/bin/shimcheck probe --shim "$SHIM"
