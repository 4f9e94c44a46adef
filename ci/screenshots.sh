#!/usr/bin/env bash
# Screenshots of the certificate in headless Chromium (Debian's package,
# installed here if missing): a passing run (the reference shim), a failing
# one (the Go runc-v1 shim with its baseline: not conformant, failures
# waived) and a partial one (a filtered run).  Writes out/screenshots/*.png.
# Not part of ci/test.sh: it is how we look at what a vendor hands out.
#   ci/screenshots.sh [BUILD_BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(cd "${1:-build/bin}" && pwd)
if ! command -v chromium >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
out=out/screenshots
mkdir -p "$out"
tmp=$(mktemp -d /tmp/sc-shots.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$bin/shimcheck" run --shim "$bin/containerd-shim-ref-v1" -j 2 --strict --out "$tmp/pass" >/dev/null 2>&1 || true
"$bin/shimcheck" run --shim /usr/bin/containerd-shim-runc-v1 -j 2 --strict \
  --baseline conformance/baselines/containerd-shim-runc-v1.txt --out "$tmp/fail" >/dev/null 2>&1 || true
"$bin/shimcheck" run --shim "$bin/containerd-shim-ref-v1" -j 2 --filter '^exec\.' --out "$tmp/partial" >/dev/null 2>&1 || true
for r in pass fail partial; do
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile-$r" --window-size=1280,2200 --hide-scrollbars \
    --screenshot="$out/certificate-$r.png" "file://$tmp/$r/report.html" >/dev/null 2>&1
  cp "$tmp/$r/badge.svg" "$out/badge-$r.svg"
  echo "$out/certificate-$r.png"
done
