// go-udp-client: the course's UDP client. Each line you type is one
// datagram; each reply is printed on a line of its own. A datagram or reply
// that is lost is simply gone: UDP never sends anything twice.
//
//	go-udp-client [HOST:PORT]   (default 127.0.0.1:8006)
//
// socklab's twin: udp-client (udp/udp_client.cpp). Lesson: notes/udp-flow.md
package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	// [1] os.Args: the server. C: argv.
	addr := "127.0.0.1:8006"
	if len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: go-udp-client [HOST:PORT]")
		os.Exit(2)
	}
	if len(os.Args) == 2 {
		addr = os.Args[1]
	}

	// [2] net.ResolveUDPAddr. C: getaddrinfo.
	serverAddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-udp-client: net.ResolveUDPAddr:", err)
		os.Exit(1)
	}
	// [3] net.DialUDP. C: socket(SOCK_DGRAM) + connect. No packet is sent:
	// connect only fixes the peer's address (and lets ICMP errors reach us).
	conn, err := net.DialUDP("udp", nil, serverAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-udp-client: net.DialUDP:", err)
		os.Exit(1)
	}
	// [6] conn.Close. C: close. Nothing goes on the wire.
	defer conn.Close()

	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 4096), 65507) // a longer line would not fit in one datagram
	buf := make([]byte, 65536)
	unanswered := 0
	for lines.Scan() {
		// [4] conn.Write. C: write (send). One line, one datagram.
		if _, err := conn.Write(lines.Bytes()); err != nil {
			fmt.Fprintln(os.Stderr, "go-udp-client: conn.Write:", err)
			os.Exit(1)
		}
		// A deadline: without one, a lost datagram would leave Read
		// waiting forever. C: poll with a timeout, or SO_RCVTIMEO.
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		// [5] conn.Read. C: read (recv). One call, one whole datagram.
		n, err := conn.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// A reply that comes later is read as the answer to the next line.
			fmt.Fprintln(os.Stderr, "go-udp-client: no reply within 2 s; going on")
			unanswered++
			continue
		}
		if err != nil {
			// "connection refused": ICMP port unreachable came back.
			fmt.Fprintln(os.Stderr, "go-udp-client: conn.Read:", err)
			os.Exit(1)
		}
		fmt.Println(string(buf[:n]))
	}
	if err := lines.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "go-udp-client: read stdin:", err)
		os.Exit(1)
	}
	if unanswered > 0 {
		fmt.Fprintln(os.Stderr, "go-udp-client:", unanswered, "datagrams got no reply")
		os.Exit(1)
	}
}
