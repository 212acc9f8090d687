// The course's file sender, written here in the course's style to test
// sendfile/recvfile against: go run sender.go PATH HOST:PORT
// It sends the bare file name, waits for "ok", streams the content and
// closes: the close is the only end-of-file mark this protocol has.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Println("usage: sender PATH HOST:PORT")
		os.Exit(2)
	}
	// 1. os.Args: the path and the receiver.
	path, addr := os.Args[1], os.Args[2]
	// 2. os.Stat: the bare name goes on the wire.
	fileInfo, err := os.Stat(path)
	if err != nil {
		fmt.Println("os.Stat err:", err)
		os.Exit(1)
	}
	// 3. Dial.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Println("net.Dial err:", err)
		os.Exit(1)
	}
	defer conn.Close()
	// 4. Write the name.
	if _, err = conn.Write([]byte(fileInfo.Name())); err != nil {
		fmt.Println("conn.Write err:", err)
		os.Exit(1)
	}
	// 5. Read the answer: "ok" or nothing is sent.
	buf := make([]byte, 16)
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "ok" {
		fmt.Println("the receiver did not answer ok:", string(buf[:n]), err)
		os.Exit(1)
	}
	// 6. The content, then close.
	file, err := os.Open(path)
	if err != nil {
		fmt.Println("os.Open err:", err)
		os.Exit(1)
	}
	defer file.Close()
	chunk := make([]byte, 4096)
	for {
		n, err := file.Read(chunk)
		if err == io.EOF {
			fmt.Println("sent", fileInfo.Name())
			return
		}
		if err != nil {
			fmt.Println("file.Read err:", err)
			os.Exit(1)
		}
		if _, err = conn.Write(chunk[:n]); err != nil {
			fmt.Println("conn.Write err:", err)
			os.Exit(1)
		}
	}
}
