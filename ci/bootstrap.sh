#!/usr/bin/env bash
# Installs every Debian package shimcheck needs to build, test and fuzz.
# Idempotent: re-running it on a machine that has everything does nothing harmful.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config
  protobuf-c-compiler libprotobuf-c-dev libprotobuf-dev protobuf-compiler
  libjansson-dev libcmocka-dev nettle-dev libxml2-dev
  # sanitizers and fuzzing
  clang libclang-rt-14-dev llvm afl++ ca-certificates
  # real peers used by the tests (never mocked)
  containerd runc crun busybox-static docker.io
  # test tooling
  iproute2 procps util-linux psmisc python3 python3-yaml python3-jsonschema python3-grpcio curl zip unzip libxml2-utils
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "bootstrap: all ${#PACKAGES[@]} packages present"
  # containerd 1.7 and 2.x, unpacked into a private prefix (never installed)
  bash "$(dirname "$0")/containerd-versions.sh"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# docker.io's and containerd's maintainer scripts would start system daemons
# where no policy says otherwise: our tests start private ones, never those
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# shimcheck bootstrap: no service starts while packages install\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# containerd's Debian package enables a system daemon; our tests never use it, and
# they always start their own private daemon. Leave the system unit as the admin set it.
bash "$(dirname "$0")/containerd-versions.sh"
echo "bootstrap: done"
