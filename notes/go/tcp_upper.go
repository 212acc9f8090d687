// go-tcp-upper: the course's upper-casing server. Like go-tcp-server, one
// goroutine per connection; each line comes back in capitals, and the line
// "exit" makes the server close the connection.
//
//	go-tcp-upper [HOST:PORT]   (default 127.0.0.1:8001; port 0: any free port)
//
// socklab's twin: tcp-server --upper (tcp/tcp_server.cpp, tcp/upper.cpp).
// Lesson: notes/concurrent-tcp-server.md
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

func main() {
	// [1] os.Args: where to listen. C: argv.
	addr := "127.0.0.1:8001"
	if len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: go-tcp-upper [HOST:PORT]")
		os.Exit(2)
	}
	if len(os.Args) == 2 {
		addr = os.Args[1]
	}

	// [2] net.Listen. C: socket + bind + listen.
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-tcp-upper: net.Listen:", err)
		os.Exit(1)
	}
	defer listener.Close()
	fmt.Println("listening on", listener.Addr())

	for {
		// [3] listener.Accept. C: accept.
		conn, err := listener.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "go-tcp-upper: listener.Accept:", err)
			continue
		}
		// [4] One goroutine per connection. C: fork() or pthread_create().
		go handleConnection(conn)
	}
}

// handleConnection upper-cases one client's lines until "exit" or its close.
func handleConnection(conn net.Conn) {
	// [7] conn.Close. C: close: our FIN goes out.
	defer conn.Close()
	peer := conn.RemoteAddr()
	fmt.Println("open", peer)
	// The course compares each Read with "exit\n". But TCP is a byte stream:
	// one Read may hold half a line, or two lines. A bufio.Reader collects
	// bytes up to '\n', so the check sees whole lines however they arrived.
	reader := bufio.NewReader(conn)
	for {
		// [5] reader.ReadString. C: read into a buffer, then look for '\n'.
		line, err := reader.ReadString('\n')
		if line == "exit\n" || line == "exit\r\n" {
			fmt.Println("close", peer, "(the client sent exit)")
			return
		}
		if line != "" {
			// [6] conn.Write. C: write. strings.ToUpper also changes
			// non-ASCII letters (é -> É); tcp-server --upper only a-z.
			if _, err := conn.Write([]byte(strings.ToUpper(line))); err != nil {
				fmt.Printf("close %v (write failed: %v)\n", peer, err)
				return
			}
		}
		if err == io.EOF {
			// C: read returned 0: the client sent its FIN.
			fmt.Println("close", peer, "(the client closed)")
			return
		}
		if err != nil {
			fmt.Printf("close %v (read failed: %v)\n", peer, err)
			return
		}
	}
}
