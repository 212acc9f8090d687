# shellcheck shell=bash
# Tour part: a TCP echo exchange with --trace (sourced by scripts/tour.sh).
tell "1. TCP: an echo server and a client, with every socket step traced."
echo "tcp-server listens; tcp-client connects, sends two lines, half-closes, and prints the echo."
echo "--trace numbers each step like the course and names the Go call and the C call it matches."
pause
start_server tcp-server --listen 127.0.0.1:0 --trace
pause
show_sh "printf 'hello\\nsocklab\\n' | tcp-client $SERVER_ADDR --trace"
pause
tell "What the server traced and logged meanwhile:"
stop_server
cat "$SERVER_LOG"
pause
tell "The same server with --upper is the course's upper-casing server; 'exit' closes the connection:"
start_server tcp-server --listen 127.0.0.1:0 --upper -q
show_sh "printf 'make me loud\\nexit\\nnever sent\\n' | tcp-client $SERVER_ADDR"
stop_server
pause
tell "And --load measures it: 50 connections, 200 verified round trips each."
start_server tcp-server --listen 127.0.0.1:0 -q
show tcp-client "$SERVER_ADDR" --load 50 --rounds 200 --size 64
stop_server
pause
