#!/usr/bin/env bash
# Proof that ctr_test.sh can fail where it claims to judge: the same scenario
# under real containerd with containerd-shim-reffault-v1 installed as the
# reference shim and faults that break two of its claims.  Exactly those
# checks must fail, and every other check still pass.  (The legacy options
# type is proven by the catalogue's create.options-types-accepted: refused,
# it would fail the shim-cgroup check for another reason.)
#   ctr_faults_test.sh BUILD_BIN_DIR [CONTAINERD_VERSION]
set -uo pipefail
BIN=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/sc-ctrf.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin"
ln -s "$BIN/containerd-shim-reffault-v1" "$T/bin/containerd-shim-ref-v1"
# containerd passes its environment on to the shims it starts
#   ignore-shim-cgroup      the daemon stays where start ran
#   tty-drop-tail           a tty's last 4 KiB never reach the client
FAULTS=ignore-shim-cgroup,tty-drop-tail
SHIMCHECK_FAULTS=$FAULTS "$HERE/ctr_test.sh" "$T/bin" ${2:-} >"$T/out" 2>&1
rc=$?
sed 's/^/# /' "$T/out"
want=(
  "shim_cgroup: the shim (pid"            # ignore-shim-cgroup
  "tty execs: 10 x seq 1 200000"          # tty-drop-tail
)
failed=$(grep '^not ok - ' "$T/out" | sed 's/^not ok - //')
fail=0
for w in "${want[@]}"; do
  if grep -qF -- "$w" <<<"$failed"; then echo "ok - under its fault this check fails: $w"
  else echo "not ok - under its fault this check still passes: $w"; fail=1; fi
done
others=$(grep -vF -e "${want[0]}" -e "${want[1]}" <<<"$failed" | grep -v '^$')
if [ -z "$others" ]; then echo "ok - no other check fails"
else echo "not ok - other checks fail too:"; echo "$others" | sed 's/^/#   /'; fail=1; fi
if [ $rc -ne 0 ]; then echo "ok - ctr_test.sh exits non-zero ($rc)"
else echo "not ok - ctr_test.sh exited 0 under faults"; fail=1; fi
exit $fail
