// go-sendfile: the course's file sender. It sends the bare file name, waits
// for the receiver's "ok", streams the content and closes: the close is the
// only end-of-file mark this protocol has.
//
//	go-sendfile PATH [HOST:PORT [NAME]]   (default 127.0.0.1:8008)
//
// NAME, not in the course, sends another name than the file's own: it lets
// you try what a receiver does with a name like "../x".
// socklab's twin: sendfile --classic (filexfer/sendfile.cpp). Lesson: notes/file-transfer.md
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	// [1] os.Args: the file, the receiver. C: argv.
	if len(os.Args) < 2 || len(os.Args) > 4 {
		fmt.Fprintln(os.Stderr, "usage: go-sendfile PATH [HOST:PORT [NAME]]")
		os.Exit(2)
	}
	path, addr := os.Args[1], "127.0.0.1:8008"
	if len(os.Args) >= 3 {
		addr = os.Args[2]
	}

	// [2] os.Stat. C: stat. Any path will do, relative or absolute;
	// fileInfo.Name() is its last element, the bare name that goes on the wire.
	fileInfo, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-sendfile: os.Stat:", err)
		os.Exit(1)
	}
	name := fileInfo.Name()
	if len(os.Args) == 4 {
		name = os.Args[3]
	}

	// [3] net.Dial. C: getaddrinfo + socket + connect.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-sendfile: net.Dial:", err)
		os.Exit(1)
	}
	// [8] conn.Close. C: close: our FIN; the receiver's read returns 0
	// and it knows the file is complete.
	defer conn.Close()

	// [4] conn.Write: the name, nothing else (no length, no newline). C: write.
	if _, err := conn.Write([]byte(name)); err != nil {
		fmt.Fprintln(os.Stderr, "go-sendfile: conn.Write:", err)
		os.Exit(1)
	}

	// [5] conn.Read: the receiver's answer. C: read. Only "ok" lets us go on.
	buf := make([]byte, 256)
	n, err := conn.Read(buf)
	if err != nil && err != io.EOF {
		fmt.Fprintln(os.Stderr, "go-sendfile: conn.Read:", err)
		os.Exit(1)
	}
	if answer := string(buf[:n]); answer != "ok" {
		fmt.Fprintf(os.Stderr, "go-sendfile: the receiver did not answer ok: %q\n", answer)
		os.Exit(1)
	}

	// [6] sendFile: the content.
	if err := sendFile(path, conn); err != nil {
		fmt.Fprintln(os.Stderr, "go-sendfile:", err)
		os.Exit(1)
	}
	fmt.Println("sent", name)
}

// sendFile streams the file at path to conn.
func sendFile(path string, conn net.Conn) error {
	// C: open(path, O_RDONLY).
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("os.Open: %w", err)
	}
	defer file.Close()
	buf := make([]byte, 4096)
	for {
		// [7] The read loop. C: read, then write. file.Read says io.EOF when
		// C's read would return 0: the whole file has been read.
		n, err := file.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("file.Read: %w", err)
		}
		if _, err := conn.Write(buf[:n]); err != nil {
			return fmt.Errorf("conn.Write: %w", err)
		}
	}
}
