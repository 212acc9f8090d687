#!/usr/bin/env bash
# The guided tour: every program on loopback, each step announced in a
# sentence with the command shown before it runs. Unattended; --fast skips the
# pauses. Each part is a file in scripts/tour.d/, run in name order.
#   usage: scripts/tour.sh BUILD_DIR [--fast]
# BUILD_DIR is a meson build tree (./socklab tour) or the folder that holds
# every program (installed: socklab tour passes /usr/lib/socklab).
set -euo pipefail
BUILD=$(readlink -f "$1"); shift
FAST=0
[ "${1:-}" = "--fast" ] && FAST=1
HERE=$(dirname "$(readlink -f "$0")")
LESSONS=notes/README.md
if [ -x "$BUILD/tcp-server" ]; then
  export PATH="$BUILD:$PATH"
  LESSONS=$(readlink -m "$BUILD/../../share/doc/socklab/notes/README.md")  # PREFIX/lib/socklab -> PREFIX/share
else
  export PATH="$BUILD/tcp:$BUILD/udp:$BUILD/filexfer:$BUILD/tcpstate:$PATH"
fi
TOUR_TMP=$(mktemp -d /tmp/socklab-tour.XXXXXX)
TOUR_PIDS=()

if [ -t 1 ]; then B=$'\e[1m'; C=$'\e[36m'; N=$'\e[0m'; else B=; C=; N=; fi

# Says a sentence, in bold on a terminal.
tell() { printf '\n%s%s%s\n' "$B" "$*" "$N"; }
# Pauses so a reader can follow (not with --fast).
pause() { [ "$FAST" = 1 ] || sleep 1.5; }
# Shows a command, then runs it.
show() { printf '%s$ %s%s\n' "$C" "$*" "$N"; "$@"; }
# Shows a shell pipeline as typed, then runs it.
show_sh() { printf '%s$ %s%s\n' "$C" "$1" "$N"; bash -c "$1"; }
# Starts a server in the background; sets SERVER_ADDR from its first line.
start_server() {
  local out="$TOUR_TMP/server.$RANDOM"
  printf '%s$ %s &%s\n' "$C" "$*" "$N"
  "$@" >"$out" 2>&1 &
  TOUR_PIDS+=($!)
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$out" 2>/dev/null; then break; fi
    sleep 0.05
  done
  SERVER_ADDR=$(sed -n 's/^listening on //p' "$out" | head -1)
  [ -n "$SERVER_ADDR" ] || { echo "tour: $1 did not start: $(cat "$out")" >&2; exit 1; }
  # shellcheck disable=SC2034  # the tour.d parts read it
  SERVER_PORT=${SERVER_ADDR##*:}
  # shellcheck disable=SC2034  # the tour.d parts read it
  SERVER_LOG=$out
  echo "listening on $SERVER_ADDR"
}
# Stops the last server started (by its PID).
stop_server() {
  local pid=${TOUR_PIDS[-1]}
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'TOUR_PIDS[-1]'
}
cleanup() {
  local pid
  for pid in "${TOUR_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TOUR_TMP"
}
trap cleanup EXIT

tell "Welcome to socklab: small socket programs that show what happens on the wire."
echo "Every step below runs for real on this machine, on loopback (127.0.0.1)."
pause
for part in "$HERE"/tour.d/*.sh; do
  # shellcheck source=/dev/null
  source "$part"
done
tell "That was the tour. The lessons behind each step are in $LESSONS."
