#!/usr/bin/env bash
# Fetches the other containerd versions the tests run as real peers (1.7 from
# Debian's trixie suite, 2.x from sid) into a private prefix, WITHOUT
# installing them: Debian 12's containerd 1.6 stays the system's.
#
# apt does the download and its signature checking (Debian's archive keyring),
# with a private sources list, lists and cache; `dpkg -x` unpacks the package
# into $SHIMCHECK_CONTAINERDS/<minor>/ (default /opt/shimcheck/containerd) and
# the exact version lands in <minor>/VERSION.  The archive's address is the
# one this machine's apt configuration already uses.
#
#   ci/containerd-versions.sh           fetch what is missing (idempotent)
#   ci/containerd-versions.sh --list    print "<minor> <version> <dir>" per version
#
# A suite that cannot be reached is an error that says so, never a skip.
set -euo pipefail

ROOT=${SHIMCHECK_CONTAINERDS:-/opt/shimcheck/containerd}
# suite  pinned-version (sid moves: when its pin is gone, its newest 2.x is taken)
PINS=(
  "trixie 1.7.24~ds1-6+deb13u1"
  "sid 2.1.9+ds1-5"
)

minor_of () { # 2.1.9+ds1-5 -> 2.1
  local v=${1#*:}
  echo "$v" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'
}

list () {
  local d
  for d in "$ROOT"/*/; do
    [ -f "$d/VERSION" ] || continue
    echo "$(basename "$d") $(cat "$d/VERSION") ${d%/}"
  done
}

if [ "${1:-}" = "--list" ]; then list; exit 0; fi

usable () { # dir version
  [ -f "$1/VERSION" ] && [ "$(cat "$1/VERSION")" = "$2" ] &&
    "$1/usr/bin/containerd" --version >/dev/null 2>&1 &&
    [ -x "$1/usr/bin/ctr" ] && [ -x "$1/usr/bin/containerd-shim-runc-v2" ]
}

# already there?  (sid's pin may have moved: any 2.x present with a VERSION counts)
need=()
for pin in "${PINS[@]}"; do
  read -r suite version <<<"$pin"
  m=$(minor_of "$version")
  if usable "$ROOT/$m" "$version"; then continue; fi
  if [ "$suite" = sid ]; then
    found=""
    for d in "$ROOT"/2.*/; do
      [ -f "$d/VERSION" ] && usable "${d%/}" "$(cat "$d/VERSION")" && found=$d
    done
    [ -n "$found" ] && continue
  fi
  need+=("$pin")
done
if [ "${#need[@]}" -eq 0 ]; then
  echo "containerd-versions: present: $(list | awk '{printf "%s ", $2}')"
  exit 0
fi

uri=$(bash "$(dirname "$0")/debian-archive.sh")
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { echo "containerd-versions: $keyring missing (package debian-archive-keyring)" >&2; exit 1; }

work=$(mktemp -d /tmp/sc-apt.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/dl"
: >"$work/sources.list"
for pin in "${need[@]}"; do
  read -r suite _ <<<"$pin"
  echo "deb [signed-by=$keyring] $uri $suite main" >>"$work/sources.list"
done
APT=(-q -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=-
     -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache"
     -o APT::Sandbox::User=root)
if ! apt-get "${APT[@]}" update >"$work/update.log" 2>&1 || grep -q '^[EW]: Failed to fetch' "$work/update.log"; then
  cat "$work/update.log" >&2
  echo "containerd-versions: cannot reach the suites ${need[*]} of the Debian archive" >&2
  exit 1
fi

for pin in "${need[@]}"; do
  read -r suite version <<<"$pin"
  have=$(apt-cache "${APT[@]}" madison containerd | awk -v s="$suite" '$0 ~ " "s"/" { print $3 }')
  if ! grep -qxF "$version" <<<"$have"; then
    if [ "$suite" = sid ]; then
      newest=$(grep -E '^(1:)?2\.' <<<"$have" | sort -V | tail -1 || true)
      if [ -z "$newest" ]; then
        echo "containerd-versions: sid has no containerd 2.x (has: ${have:-nothing})" >&2
        exit 1
      fi
      echo "containerd-versions: sid moved on from $version; taking $newest"
      version=$newest
    else
      echo "containerd-versions: $suite has no containerd $version (has: ${have:-nothing})" >&2
      exit 1
    fi
  fi
  (cd "$work/dl" && apt-get "${APT[@]}" download "containerd=$version" >"$work/dl.log" 2>&1) || {
    cat "$work/dl.log" >&2
    echo "containerd-versions: download of containerd=$version failed" >&2
    exit 1
  }
  m=$(minor_of "$version")
  deb=$(ls "$work"/dl/containerd_*.deb)
  rm -rf "$ROOT/$m.new"
  mkdir -p "$ROOT/$m.new"
  dpkg -x "$deb" "$ROOT/$m.new"
  rm -f "$deb"
  echo "$version" >"$ROOT/$m.new/VERSION"
  if ! "$ROOT/$m.new/usr/bin/containerd" --version >/dev/null 2>&1; then
    echo "containerd-versions: containerd $version does not run on this machine" >&2
    exit 1
  fi
  rm -rf "${ROOT:?}/$m"
  mv "$ROOT/$m.new" "$ROOT/$m"
  echo "containerd-versions: $version in $ROOT/$m"
done
