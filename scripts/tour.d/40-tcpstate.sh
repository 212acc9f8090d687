# shellcheck shell=bash
# The tour's last part: TCP states, watched and held long enough to see.
tell "tcpstate: a connection's states. First the state machine the course draws."
show tcpstate diagram --highlight ESTABLISHED
pause
tell "The current sockets, like the course's 'netstat -an | grep PORT': a tcp-server and one client that stays connected."
start_server tcp-server --listen 127.0.0.1:0 -q
sleep 2 | tcp-client "$SERVER_ADDR" >/dev/null &
client_pid=$!
sleep 0.3
show tcpstate snapshot --port "$SERVER_PORT"
wait "$client_pid" || true
stop_server
pause
tell "Now a short demo: one connection's whole life on loopback, each state held and really observed through /proc."
show tcpstate demo --scene lifecycle --pause "$( [ "$FAST" = 1 ] && echo 0 || echo 0.5 )"
pause
tell "And why servers set SO_REUSEADDR: a restart while a connection sits in TIME_WAIT."
show tcpstate demo --scene reuseaddr --pause 0
pause
tell "Last, the real segments of one connection, as a ladder: handshake, two lines echoed, close. 'tcpstate ladder -- COMMAND' runs the command in a private network namespace (no root needed), captures its loopback and draws each segment: flags, seq and ack relative to each side's first number, the window, and both sides' states."
# shellcheck disable=SC2016  # $1 is bash -c's own argument, expanded there
show tcpstate ladder -- bash -c 'tcp-server -l 127.0.0.1:8001 -q > "$1" & until grep -q "^listening on" "$1"; do sleep 0.05; done; { echo hello; sleep 0.3; echo world; } | tcp-client 127.0.0.1:8001' _ "$TOUR_TMP/ladder-server.log"
