// go-recvfile: the course's file receiver. It accepts one sender, reads the
// file name, answers "ok", and writes what comes until the sender closes.
//
//	go-recvfile [HOST:PORT [DIR]]   (default 127.0.0.1:8008, the current directory)
//
// socklab's twin: recvfile (filexfer/recvfile.cpp: receive_classic).
// Lesson: notes/file-transfer.md
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
)

func main() {
	// [1] os.Args: where to listen, where to write. C: argv.
	if len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: go-recvfile [HOST:PORT [DIR]]")
		os.Exit(2)
	}
	addr, dir := "127.0.0.1:8008", "."
	if len(os.Args) >= 2 {
		addr = os.Args[1]
	}
	if len(os.Args) == 3 {
		dir = os.Args[2]
	}

	// [2] net.Listen. C: socket + bind + listen.
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-recvfile: net.Listen:", err)
		os.Exit(1)
	}
	defer listener.Close()
	fmt.Println("listening on", listener.Addr())

	// [3] listener.Accept: one sender. C: accept.
	conn, err := listener.Accept()
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-recvfile: listener.Accept:", err)
		os.Exit(1)
	}
	// [8] conn.Close. C: close.
	defer conn.Close()

	// [4] conn.Read: the name is whatever the first read returns. C: read.
	// The sender writes nothing more until our "ok", so no content is mixed in.
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-recvfile: conn.Read:", err)
		os.Exit(1)
	}
	name := string(buf[:n])

	// The course's receiver trusts the name: "../x" would be written outside
	// the directory. A name must be one plain path component (recvfile's
	// first guard, filexfer/guards.cpp: check_name, checks much more).
	if name != filepath.Base(name) || name == "." || name == ".." {
		conn.Write([]byte("refused: not a plain file name"))
		fmt.Fprintf(os.Stderr, "go-recvfile: refused the name %q\n", name)
		os.Exit(1)
	}

	// [5] conn.Write: "ok", the sender may go on. C: write.
	if _, err := conn.Write([]byte("ok")); err != nil {
		fmt.Fprintln(os.Stderr, "go-recvfile: conn.Write:", err)
		os.Exit(1)
	}

	// [6] recvFile: the content, until the sender closes.
	size, err := recvFile(filepath.Join(dir, name), conn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-recvfile:", err)
		os.Exit(1)
	}
	fmt.Println("received", name, size)
}

// recvFile writes what comes from conn into a new file at path, until the
// sender closes; it returns the number of bytes written.
func recvFile(path string, conn net.Conn) (int64, error) {
	// C: open(path, O_WRONLY|O_CREAT|O_TRUNC). It replaces a file that is
	// already there; recvfile does not (unless --overwrite).
	file, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("os.Create: %w", err)
	}
	defer file.Close()
	var total int64
	buf := make([]byte, 4096)
	for {
		// [7] The read loop. C: read, then write.
		n, err := conn.Read(buf)
		if n > 0 {
			if _, err := file.Write(buf[:n]); err != nil {
				return total, fmt.Errorf("file.Write: %w", err)
			}
			total += int64(n)
		}
		if err == io.EOF {
			// C: read returned 0: the sender closed. In this protocol that
			// is the end of the file, and also what a cut connection looks like.
			return total, nil
		}
		if err != nil {
			return total, fmt.Errorf("conn.Read: %w", err)
		}
	}
}
