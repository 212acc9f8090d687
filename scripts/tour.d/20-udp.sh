# shellcheck shell=bash
# Tour part: UDP, one socket for every client, and what loss looks like.
tell "2. UDP: one socket serves every client; no connection, no handshake, no FIN."
echo "udp-client sends each line as one datagram; --trace shows recvfrom/sendto on the server side."
start_server udp-server --listen 127.0.0.1:0 --upper --trace
show_sh "printf 'hello\\nudp\\n' | udp-client $SERVER_ADDR --trace"
stop_server
pause
tell "Probe mode numbers its datagrams and counts what comes back, like ping (here against a plain echo server):"
start_server udp-server --listen 127.0.0.1:0 -q
show udp-client "$SERVER_ADDR" --count 1000 --size 64 --window 16
pause
tell "Loopback never loses anything. udp-relay does what a real network may do: here it drops 20%,"
echo "duplicates 2% and reorders 2% of the datagrams on their way to the server (seed fixed: repeatable)."
UDP_SERVER=$SERVER_ADDR
start_server udp-relay --listen 127.0.0.1:0 --to "$UDP_SERVER" --loss 20 --dup 2 --reorder 2 --seed 1 -q
show udp-client "$SERVER_ADDR" --count 500 --interval 1 --reply-timeout 0.5
tell "The relay's own account, which matches what the probe counted:"
stop_server
grep '^relay:' "$SERVER_LOG"
stop_server
echo "UDP did not resend a single lost datagram: that is TCP's job (notes/tcp-vs-udp.md)."
pause
