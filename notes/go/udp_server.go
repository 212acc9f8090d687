// go-udp-server: the course's UDP server. One socket serves every client:
// each datagram arrives with its sender's address, and the reply goes back
// to that address. The course's server replies with the time; "echo" sends
// each datagram back instead.
//
//	go-udp-server [HOST:PORT [echo]]   (default 127.0.0.1:8006; port 0: any free port)
//
// socklab's twin: udp-server --daytime, or udp-server (udp/udp_server.cpp).
// Lesson: notes/udp-flow.md
package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	// [1] os.Args: where to listen, and what to reply. C: argv.
	addr := "127.0.0.1:8006"
	if len(os.Args) > 3 || (len(os.Args) == 3 && os.Args[2] != "echo") {
		fmt.Fprintln(os.Stderr, "usage: go-udp-server [HOST:PORT [echo]]")
		os.Exit(2)
	}
	if len(os.Args) >= 2 {
		addr = os.Args[1]
	}
	echo := len(os.Args) == 3

	// [2] net.ResolveUDPAddr. C: getaddrinfo, giving a struct sockaddr.
	udpAddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-udp-server: net.ResolveUDPAddr:", err)
		os.Exit(1)
	}
	// [3] net.ListenUDP. C: socket(SOCK_DGRAM) + bind. No listen and no
	// accept: UDP has no connections, this one socket gets every datagram.
	conn, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-udp-server: net.ListenUDP:", err)
		os.Exit(1)
	}
	// [6] conn.Close. C: close. Nothing goes on the wire.
	defer conn.Close()
	fmt.Println("listening on", conn.LocalAddr())

	// The largest datagram is 65,507 bytes over IPv4: this buffer holds any.
	// With a smaller one, the rest of a longer datagram would be lost.
	buf := make([]byte, 65536)
	seen := map[string]bool{}
	for {
		// [4] conn.ReadFromUDP. C: recvfrom. One call, one whole datagram,
		// and the address it came from.
		n, clientAddr, err := conn.ReadFromUDP(buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "go-udp-server: conn.ReadFromUDP:", err)
			continue
		}
		// The course prints every datagram; we print each new client once,
		// so a flood of datagrams never waits on the terminal.
		if client := clientAddr.String(); !seen[client] && len(seen) < 100 {
			seen[client] = true
			fmt.Println("new client", client)
		}
		reply := buf[:n]
		if !echo {
			reply = []byte(time.Now().String())
		}
		// [5] conn.WriteToUDP. C: sendto, to the address of the datagram.
		if _, err := conn.WriteToUDP(reply, clientAddr); err != nil {
			fmt.Fprintln(os.Stderr, "go-udp-server: conn.WriteToUDP:", err)
		}
	}
}
