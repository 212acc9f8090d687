// go-tcp-client: the course's TCP client. What you type goes to the server;
// what the server sends comes out on stdout. At the end of stdin (Ctrl-D) it
// half-closes, prints what the server still sends, and exits when the
// server closes.
//
//	go-tcp-client [HOST:PORT]   (default 127.0.0.1:8001)
//
// socklab's twin: tcp-client (tcp/tcp_client.cpp). Lesson: notes/concurrent-tcp-server.md
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	// [1] os.Args: the server. C: argv.
	addr := "127.0.0.1:8001"
	if len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: go-tcp-client [HOST:PORT]")
		os.Exit(2)
	}
	if len(os.Args) == 2 {
		addr = os.Args[1]
	}

	// [2] net.Dial. C: getaddrinfo + socket + connect. It returns once the
	// server's SYN+ACK has come back: the server need not have called Accept.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-tcp-client: net.Dial:", err)
		os.Exit(1)
	}
	// [6] conn.Close. C: close.
	defer conn.Close()

	// [3] A goroutine sends stdin, so that reading the keyboard and reading
	// the server never wait for each other.
	go sendStdin(conn.(*net.TCPConn))

	buf := make([]byte, 4096)
	for {
		// [4] conn.Read. C: read. The reply goes to stdout as it came.
		n, err := conn.Read(buf)
		if n > 0 {
			os.Stdout.Write(buf[:n])
		}
		if err == io.EOF {
			// C: read returned 0: the server closed; so do we.
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "go-tcp-client: conn.Read:", err)
			os.Exit(1)
		}
	}
}

// sendStdin copies stdin to the server, then half-closes the connection.
func sendStdin(conn *net.TCPConn) {
	buf := make([]byte, 4096)
	for {
		// C: read(0, ...), then write(fd, ...).
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			if _, err := conn.Write(buf[:n]); err != nil {
				return // the server has gone: the main goroutine reports it
			}
		}
		if err != nil {
			// [5] End of stdin: conn.CloseWrite. C: shutdown(fd, SHUT_WR).
			// Our FIN tells the server we are done; its replies still come.
			conn.CloseWrite()
			return
		}
	}
}
