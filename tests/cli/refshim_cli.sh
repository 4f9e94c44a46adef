#!/usr/bin/env bash
# containerd-shim-ref-v1's binary protocol as containerd drives it: Go flag
# spellings, -v, errors, start's output and socket, grouping, delete.
#   refshim_cli.sh PATH/TO/containerd-shim-ref-v1
set -uo pipefail
SHIM=$(readlink -f "$1")
T=$(mktemp -d /tmp/sc-refcli.XXXXXX)
NS=sc-refcli-$$
pass=0 fail=0
daemons=()
cleanup() {
  for p in "${daemons[@]}"; do kill "$p" 2>/dev/null; done
  for _ in $(seq 50); do
    alive=0
    for p in "${daemons[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for p in "${daemons[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
check() { if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok - $1"; else fail=$((fail+1)); echo "not ok - $1"; [ -n "${3:-}" ] && echo "#   $3"; fi; }

bundle() { # id [group]
  mkdir -p "$T/$NS/$1"
  if [ -n "${2:-}" ]; then
    printf '{"annotations":{"io.containerd.runc.v2.group":"%s"}}' "$2" >"$T/$NS/$1/config.json"
  else
    echo '{}' >"$T/$NS/$1/config.json"
  fi
  mkfifo "$T/$NS/$1/log"
  # hold the log FIFO open as containerd does
  sleep 30 <>"$T/$NS/$1/log" >/dev/null 2>&1 &
  daemons+=($!)
}
daemon_of() { pgrep -f -- "-namespace $NS -id $1 " | head -1; }

out=$("$SHIM" -v); rc=$?
check "-v prints a version banner and exits 0" $([ $rc -eq 0 ] && echo "$out" | grep -q "Version:"; echo $?) "$out"
out=$("$SHIM" -id x start 2>&1); rc=$?
check "missing -namespace fails" $([ $rc -ne 0 ] && echo "$out" | grep -q "namespace cannot be empty"; echo $?) "$out"
out=$("$SHIM" -namespace n -bogus start 2>&1); rc=$?
check "unknown flag fails naming it" $([ $rc -ne 0 ] && echo "$out" | grep -q "bogus"; echo $?) "$out"
out=$("$SHIM" -namespace n frobnicate 2>&1); rc=$?
check "unknown action fails" $([ $rc -ne 0 ] && echo "$out" | grep -q "frobnicate"; echo $?) "$out"

# every Go flag spelling, stdout+stderr merged as containerd reads them
bundle a1
addr=$(cd "$T/$NS/a1" && "$SHIM" --namespace="$NS" -address "$T/c.sock" -publish-binary=/usr/bin/containerd --id a1 start 2>&1 </dev/null); rc=$?
check "start with mixed flag spellings exits 0" $([ $rc -eq 0 ]; echo $?) "$addr"
check "start prints only a unix:// address" $(echo "$addr" | grep -qE '^unix:///[^ ]+$' && [ "$(printf %s "$addr" | wc -l)" -eq 0 ]; echo $?) "[$addr]"
sock=${addr#unix://}
daemons+=($(daemon_of a1))
check "socket is a socket with mode 0600" $([ -S "$sock" ] && [ "$(stat -c %a "$sock")" = 600 ]; echo $?) "$(ls -l "$sock" 2>&1)"
check "socket dir has mode 0700" $([ "$(stat -c %a "$(dirname "$sock")")" = 700 ]; echo $?) "$(stat -c %a "$(dirname "$sock")")"
check "start wrote the address file" $([ "$(cat "$T/$NS/a1/address" 2>/dev/null)" = "$addr" ]; echo $?) ""
check "the daemon logs to the bundle's log FIFO, not to start's output" $(ls -l /proc/$(daemon_of a1)/fd/2 2>/dev/null | grep -q "$T/$NS/a1/log"; echo $?) "$(ls -l /proc/$(daemon_of a1)/fd/2 2>&1)"
check "the daemon is detached from start's stdio" $(! ls -l /proc/$(daemon_of a1)/fd/1 | grep -q pipe; echo $?) ""

# installed under another name (as tests and Docker users do), the daemon keeps it
mkdir -p "$T/bin"
ln -s "$SHIM" "$T/bin/containerd-shim-runc-v2"
bundle n1
naddr=$(cd "$T/$NS/n1" && "$T/bin/containerd-shim-runc-v2" -namespace "$NS" -address "$T/c.sock" -id n1 start 2>&1 </dev/null)
npid=$(daemon_of n1)
daemons+=($npid)
check "the daemon keeps its installed name in ps and pidof (not \"exe\")" \
  $([ -n "$npid" ] && [ "$(cat /proc/$npid/comm)" = containerd-shim ] \
    && [ "$(tr '\0' '\n' </proc/$npid/cmdline | head -1)" = containerd-shim-runc-v2 ]; echo $?) \
  "comm $(cat /proc/$npid/comm 2>&1), argv0 $(tr '\0' '\n' </proc/$npid/cmdline 2>&1 | head -1)"

# grouping: a second task of the same group gets the same address, no new daemon
bundle g1 grp
bundle g2 grp
a=$(cd "$T/$NS/g1" && "$SHIM" -namespace "$NS" -address "$T/c.sock" -id g1 start 2>&1 </dev/null)
daemons+=($(daemon_of g1))
b=$(cd "$T/$NS/g2" && "$SHIM" -namespace "$NS" -address "$T/c.sock" -id g2 start 2>&1 </dev/null)
check "second start of the same group returns the same address" $([ -n "$a" ] && [ "$a" = "$b" ]; echo $?) "$a vs $b"
check "and starts no second daemon" $([ -z "$(daemon_of g2)" ]; echo $?) ""
check "a different group gets another address" $([ "$a" != "$addr" ]; echo $?) ""

# delete after a SIGKILLed daemon: a raw DeleteResponse, the stale socket goes
kill -9 "$(daemon_of a1)"; sleep 0.2
(cd "$T/$NS/a1" && "$SHIM" -namespace "$NS" -address "$T/c.sock" -publish-binary /usr/bin/containerd -id a1 -bundle "$T/$NS/a1" delete >"$T/del.out" 2>"$T/del.err"); rc=$?
first=$(head -c1 "$T/del.out" | od -An -tx1 | tr -d ' ')
check "delete exits 0" $([ $rc -eq 0 ]; echo $?) "$(cat "$T/del.err")"
check "delete prints a raw protobuf DeleteResponse (field 2, 137)" $(od -An -tx1 "$T/del.out" | tr -d ' \n' | grep -q "108901"; echo $?) "$(od -An -tx1 "$T/del.out")"
check "delete removed the dead daemon's socket" $([ ! -e "$sock" ]; echo $?) "$(ls -l "$sock" 2>&1)"
: "$first"

# SIGTERM: the daemon shuts down and removes its socket
gsock=${a#unix://}
gpid=$(daemon_of g1)
kill -TERM "$gpid"
for _ in $(seq 50); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM ends the daemon" $(! kill -0 "$gpid" 2>/dev/null; echo $?) "pid $gpid still alive"
check "SIGTERM removes the daemon's socket" $([ ! -e "$gsock" ]; echo $?) "$(ls -l "$gsock" 2>&1)"

# what a bundle's owner could plant: nothing outside the bundle is touched
# (a rootfs symlink made `delete` unmount what it pointed at; a log symlink
# to a regular file got that file overwritten)
bundle p1
mkdir -p "$T/outside"
mount -t tmpfs sc-refcli "$T/outside"
ln -s "$T/outside" "$T/$NS/p1/rootfs"
(cd "$T/$NS/p1" && "$SHIM" -namespace "$NS" -address "$T/c.sock" -id p1 -bundle "$T/$NS/p1" delete >/dev/null 2>&1)
check "delete with rootfs a symlink leaves the mount it points at alone" \
  $(mountpoint -q "$T/outside"; echo $?) "$T/outside is no longer mounted"
umount "$T/outside" 2>/dev/null
mkdir -p "$T/$NS/l1"
echo '{}' >"$T/$NS/l1/config.json"
echo precious >"$T/victim"
ln -s "$T/victim" "$T/$NS/l1/log"
laddr=$(cd "$T/$NS/l1" && "$SHIM" -debug -namespace "$NS" -address "$T/c.sock" -id l1 start 2>&1 </dev/null)
lpid=$(daemon_of l1)
[ -n "$lpid" ] && daemons+=($lpid)
sleep 0.3
check "a log symlink to a regular file: the file is not written" \
  $([ "$(cat "$T/victim")" = precious ]; echo $?) "victim now: $(head -c 200 "$T/victim")"
[ -n "$lpid" ] && kill "$lpid" 2>/dev/null

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
