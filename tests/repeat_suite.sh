#!/usr/bin/env bash
# Runs the whole suite N times back to back, a noisy neighbour beside each run
# (tests/noisy_neighbour.py: loopback connections opened and closed for a
# minute), and prints one line per run: the evidence that the tests neither
# flake nor depend on the machine's other sockets.
#   tests/repeat_suite.sh [N]      (default 10; CI=true makes a skip a failure)
set -u
cd "$(dirname "$0")/.." || exit 1
runs=${1:-10}
failed=0
# Packages and the build first: on a fresh machine python3 (the neighbour)
# arrives with them, and run 1 would otherwise go without its neighbour.
./socklab setup >/tmp/socklab-setup.log 2>&1 || { echo "setup failed: /tmp/socklab-setup.log"; exit 1; }
for i in $(seq "$runs"); do
  python3 tests/noisy_neighbour.py --seconds 60 --connections 5000 >"/tmp/socklab-noisy.$i" 2>&1 &
  neighbour=$!
  SECONDS=0
  ./socklab test >"/tmp/socklab-run.$i" 2>&1
  rc=$?
  wait "$neighbour"
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
  echo "run $i: exit $rc in ${SECONDS} s: $(tail -n 1 "/tmp/socklab-run.$i"); $(cat "/tmp/socklab-noisy.$i")"
done
echo "$((runs - failed)) of $runs runs passed (logs: /tmp/socklab-run.N)"
[ "$failed" -eq 0 ]
