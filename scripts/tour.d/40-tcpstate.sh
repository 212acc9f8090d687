# The tour's last part: TCP states, watched and held long enough to see.
tell "tcpstate: a connection's states. First the state machine the course draws."
show tcpstate diagram --highlight ESTABLISHED
pause
tell "The current sockets, like the course's 'netstat -an | grep PORT' (here: the listener of a fresh demo port)."
show tcpstate snapshot --source proc --port 22 || true
pause
tell "Now a short demo: one connection's whole life on loopback, each state held and really observed through /proc."
show tcpstate demo --scene lifecycle --pause "$( [ "$FAST" = 1 ] && echo 0 || echo 0.5 )"
pause
tell "And why servers set SO_REUSEADDR: a restart while a connection sits in TIME_WAIT."
show tcpstate demo --scene reuseaddr --pause 0
