// The course's file receiver, written here in the course's style to test
// sendfile --classic against: go run receiver.go HOST:PORT DIR
// It prints "listening on ADDR" first, serves one connection: reads the
// name, answers "ok", creates the file and writes until the sender closes.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Println("usage: receiver HOST:PORT DIR")
		os.Exit(2)
	}
	// 1. Listen.
	listener, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Println("net.Listen err:", err)
		os.Exit(1)
	}
	defer listener.Close()
	fmt.Println("listening on", listener.Addr())
	// 2. Accept one sender.
	conn, err := listener.Accept()
	if err != nil {
		fmt.Println("listener.Accept err:", err)
		os.Exit(1)
	}
	defer conn.Close()
	// 3. Read the name: whatever the first read returns.
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		fmt.Println("conn.Read err:", err)
		os.Exit(1)
	}
	name := string(buf[:n])
	// 4. Answer "ok".
	if _, err = conn.Write([]byte("ok")); err != nil {
		fmt.Println("conn.Write err:", err)
		os.Exit(1)
	}
	// 5. Create the file (the course trusts the name; this test only sends plain names).
	file, err := os.Create(filepath.Join(os.Args[2], filepath.Base(name)))
	if err != nil {
		fmt.Println("os.Create err:", err)
		os.Exit(1)
	}
	defer file.Close()
	// 6. Read until EOF: the sender's close ends the file.
	total := 0
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if _, werr := file.Write(buf[:n]); werr != nil {
				fmt.Println("file.Write err:", werr)
				os.Exit(1)
			}
			total += n
		}
		if err == io.EOF {
			fmt.Println("received", name, total)
			return
		}
		if err != nil {
			fmt.Println("conn.Read err:", err)
			os.Exit(1)
		}
	}
}
