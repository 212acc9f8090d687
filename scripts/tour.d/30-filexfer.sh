# Tour part: a verified file transfer, and a hostile name refused.
tell "3. Files: sendfile and recvfile, the course's file transfer made safe."
echo "recvfile checks every name, writes to a hidden part file, and renames it into place only when"
echo "the SHA-256 matches. sendfile exits 0 only after the receiver said the file is good."
mkdir -p "$TOUR_TMP/send" "$TOUR_TMP/inbox"
head -c 3000000 /dev/urandom >"$TOUR_TMP/send/photo.bin"
printf 'hello from socklab\n' >"$TOUR_TMP/send/hello.txt"
start_server recvfile --listen 127.0.0.1:0 --dir "$TOUR_TMP/inbox"
show sendfile "$TOUR_TMP/send/photo.bin" "$TOUR_TMP/send/hello.txt" "$SERVER_ADDR"
show_sh "cd '$TOUR_TMP/inbox' && sha256sum photo.bin hello.txt"
pause
tell "A hostile sender asks for '../../etc/passwd' in the course's own protocol; the name guard refuses it:"
show_sh "printf '../../etc/passwd' | nc -q 1 127.0.0.1 $SERVER_PORT; echo"
tell "Sending the same file again is refused too: recvfile never overwrites without --overwrite."
show sendfile "$TOUR_TMP/send/hello.txt" "$SERVER_ADDR" || true
tell "The inbox holds exactly the two files: no part file left, nothing named passwd anywhere."
show ls -A "$TOUR_TMP/inbox"
stop_server
tell "What recvfile logged:"
cat "$SERVER_LOG"
pause
