# shellcheck shell=bash
# Tour part: a verified transfer of a small directory, a rerun that skips
# what is there, and a hostile name refused.
tell "3. Files: sendfile and recvfile, the course's file transfer made safe."
echo "recvfile checks every path, writes to a hidden part file, and renames it into place only when"
echo "the SHA-256 matches. sendfile exits 0 only after the receiver said every file is good."
mkdir -p "$TOUR_TMP/send/album/2024" "$TOUR_TMP/send/album/empty" "$TOUR_TMP/inbox"
head -c 3000000 /dev/urandom >"$TOUR_TMP/send/album/2024/photo.bin"
printf 'hello from socklab\n' >"$TOUR_TMP/send/album/hello.txt"
ln -s /etc/passwd "$TOUR_TMP/send/album/passwd-link"
start_server recvfile --listen 127.0.0.1:0 --dir "$TOUR_TMP/inbox"
tell "A whole directory: its files keep their paths, the empty directory comes too, the symlink is skipped."
show sendfile "$TOUR_TMP/send/album" "$SERVER_ADDR"
show_sh "cd '$TOUR_TMP/inbox' && find album | sort && sha256sum album/2024/photo.bin album/hello.txt"
pause
tell "The same command again: the receiver has every file (same size, same SHA-256), so nothing moves."
show sendfile "$TOUR_TMP/send/album" "$SERVER_ADDR"
pause
tell "A hostile sender asks for '../../etc/passwd' in the course's own protocol; the name guard refuses it:"
show_sh "printf '../../etc/passwd' | nc -q 1 127.0.0.1 $SERVER_PORT; echo"
tell "A file named 'album' where the receiver has a directory of that name is refused: nothing is overwritten."
mkdir -p "$TOUR_TMP/send/other"
printf 'not a directory\n' >"$TOUR_TMP/send/other/album"
show sendfile "$TOUR_TMP/send/other/album" "$SERVER_ADDR" || true
tell "The inbox holds exactly the tree: no part file left, nothing named passwd anywhere."
show_sh "cd '$TOUR_TMP/inbox' && find . | sort"
stop_server
tell "What recvfile logged:"
cat "$SERVER_LOG"
pause
