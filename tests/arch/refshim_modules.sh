#!/usr/bin/env bash
# The reference shim's structure, checked on its object files:
#   1. no call cycle between its modules: module A depends on B when A's
#      object uses a symbol B's object defines; tsort must find an order;
#   2. no mutable global but the ones log.h names (a symbol in .data or .bss
#      of any object, static or not, except shim_logging; names the compiler
#      makes, __odr_asan.* and the like, are not ours).
#   refshim_modules.sh OBJECT_DIR   (the refshim_core object library's dir)
set -uo pipefail
dir=${1:?usage: refshim_modules.sh OBJECT_DIR}
allowed_globals="shim_logging"
tmp=$(mktemp -d /tmp/sc-arch.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
shopt -s nullglob
objs=("$dir"/*.o)
[ ${#objs[@]} -ge 10 ] || { echo "not ok: only ${#objs[@]} objects in $dir"; exit 1; }

# who defines what
for o in "${objs[@]}"; do
  m=$(basename "$o"); m=${m%%.*}
  nm --defined-only -g "$o" | awk -v m="$m" 'NF == 3 { print $3, m }'
done | sort >"$tmp/defs"
# module -> module edges
: >"$tmp/edges"
for o in "${objs[@]}"; do
  m=$(basename "$o"); m=${m%%.*}
  echo "$m $m" >>"$tmp/edges" # every module appears in the order
  nm -u "$o" | awk '{ print $2 }' | sort -u | join - "$tmp/defs" | awk -v m="$m" '$2 != m { print m, $2 }' >>"$tmp/edges"
done
sort -u "$tmp/edges" -o "$tmp/edges"
if ! tsort "$tmp/edges" >"$tmp/order" 2>"$tmp/loop"; then
  echo "not ok 1 - the modules call each other in a cycle:"
  sed 's/^/#   /' "$tmp/loop"
  fail=1
else
  echo "ok 1 - no call cycle between $(wc -l <"$tmp/order") modules ($(awk '$1 != $2' "$tmp/edges" | wc -l) dependencies)"
fi

# mutable globals
: >"$tmp/globals"
for o in "${objs[@]}"; do
  objdump -t "$o" | awk -v o="$(basename "$o")" '
    $0 ~ /[ \t]\.(data|bss)/ && $0 !~ /\.data\.rel\.ro/ && $NF !~ /^\./ && $NF !~ /^__/ { print o ": " $NF }' >>"$tmp/globals"
done
bad=$(grep -v -E ": ($(echo $allowed_globals | tr ' ' '|'))$" "$tmp/globals")
if [ -n "$bad" ]; then
  echo "not ok 2 - mutable globals outside log.h:"
  echo "$bad" | sed 's/^/#   /'
  fail=1
else
  echo "ok 2 - the only mutable globals are: $(cut -d' ' -f2 "$tmp/globals" | sort -u | tr '\n' ' ')"
fi
exit $fail
