#!/usr/bin/env bash
# The main job: build shimcheck and check a shim.  For now this probes the shim
# (launch, Connect, State, Shutdown, delete, cleanup); it grows into the full
# conformance run as the catalogue lands.
#   ci/conformance.sh [SHIM]   default: containerd-shim-runc-v2 from the system
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/bootstrap.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target shimcheck

SHIM=${1:-${SHIM:-$(command -v containerd-shim-runc-v2 || echo /usr/bin/containerd-shim-runc-v2)}}
echo "== shimcheck probe --shim $SHIM =="
exec build/bin/shimcheck probe --shim "$SHIM"
