// go-tcp-server: the course's concurrent TCP server, as an echo server. The
// main goroutine accepts; each connection gets a goroutine of its own that
// sends back every byte it reads, until the client closes.
//
//	go-tcp-server [HOST:PORT]   (default 127.0.0.1:8001; port 0: any free port)
//
// socklab's twin: tcp-server (tcp/tcp_server.cpp). Lesson: notes/concurrent-tcp-server.md
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	// [1] os.Args: where to listen. C: argv.
	addr := "127.0.0.1:8001"
	if len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: go-tcp-server [HOST:PORT]")
		os.Exit(2)
	}
	if len(os.Args) == 2 {
		addr = os.Args[1]
	}

	// [2] net.Listen. C: socket + bind + listen. From now on the kernel
	// answers SYNs by itself and queues finished handshakes until Accept.
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-tcp-server: net.Listen:", err)
		os.Exit(1)
	}
	defer listener.Close()
	// The first line says where we listen (port 0 becomes a real port here).
	fmt.Println("listening on", listener.Addr())

	for {
		// [3] listener.Accept. C: accept. It takes one connection the kernel
		// has already established; the handshake happened without us.
		conn, err := listener.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "go-tcp-server: listener.Accept:", err)
			continue
		}
		// [4] go: one goroutine per connection, so a slow client never
		// holds up the others. C: fork() or pthread_create().
		go handleConnection(conn)
	}
}

// handleConnection echoes one connection until the client closes it.
func handleConnection(conn net.Conn) {
	// [7] conn.Close. C: close: our FIN goes out.
	defer conn.Close()
	peer := conn.RemoteAddr()
	fmt.Println("open", peer)
	buf := make([]byte, 4096)
	for {
		// [5] conn.Read. C: read. It returns what has arrived so far: a
		// part of a write, or several writes together (TCP is a stream).
		n, err := conn.Read(buf)
		if n > 0 {
			// [6] conn.Write. C: write. Go writes all n bytes before returning.
			if _, err := conn.Write(buf[:n]); err != nil {
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
