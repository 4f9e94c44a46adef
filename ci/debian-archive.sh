#!/usr/bin/env bash
# Prints the Debian archive address this machine's apt configuration uses
# (deb822 .sources files first, then sources.list), never a security suite.
# Scripts that download from the archive take it from here, so no archive
# address is written into the repository.  Exit 1 (with a message) if none.
set -euo pipefail
uri=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
  [ -n "$uri" ] && break
done
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
  uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
if [ -z "$uri" ]; then
  echo "debian-archive: no Debian archive in this machine's apt configuration" >&2
  exit 1
fi
echo "${uri%/}"
