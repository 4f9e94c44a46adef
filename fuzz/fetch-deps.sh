#!/usr/bin/env bash
# Fetches the sources of protobuf-c and jansson (the versions Debian 12 ships)
# from Debian's archive (the one apt is configured with), checks their sha256 against Debian's .dsc, and
# unpacks them as DIR/protobuf-c and DIR/jansson.  Fuzz builds compile them
# in (-DSHIMCHECK_DEPS_SRC=DIR) so the decoders are instrumented too: an
# uninstrumented protobuf-c makes a fuzzer fast and blind.
# Usage: fuzz/fetch-deps.sh DIR      (idempotent; nothing is committed)
set -euo pipefail
dir=${1:?usage: fetch-deps.sh DIR}
# the archive this machine's apt uses (DEBIAN_MIRROR overrides it)
mirror=${DEBIAN_MIRROR:-$(bash "$(dirname "$0")/../ci/debian-archive.sh")}
mkdir -p "$dir"
fetch() { # name pool-path tarball sha256
  local name=$1 url=$mirror/pool/main/$2/$3 sum=$4
  if [ -f "$dir/$name/.fetched" ]; then return 0; fi
  echo "fetch-deps: $url"
  local tmp; tmp=$(mktemp -d)
  if ! curl -fsS --retry 3 --max-time 120 -o "$tmp/$3" "$url"; then
    echo "fetch-deps: cannot download $url" >&2; rm -rf "$tmp"; return 1
  fi
  if ! echo "$sum  $tmp/$3" | sha256sum -c --quiet -; then
    echo "fetch-deps: checksum mismatch for $3" >&2; rm -rf "$tmp"; return 1
  fi
  rm -rf "${dir:?}/$name"; mkdir -p "$dir/$name"
  tar -xzf "$tmp/$3" -C "$dir/$name" --strip-components=1
  touch "$dir/$name/.fetched"
  rm -rf "$tmp"
}
fetch protobuf-c p/protobuf-c protobuf-c_1.4.1.orig.tar.gz \
  4cc4facd508172f3e0a4d3a8736225d472418aee35b4ad053384b137b220339f
fetch jansson j/jansson jansson_2.14.orig.tar.gz \
  c739578bf6b764aa0752db9a2fdadcfe921c78f1228c7ec0bb47fa804c55d17b
echo "$dir"
