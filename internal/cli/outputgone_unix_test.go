//go:build unix

package cli

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A pipe is gone once its reader closed, a socket once its peer reset it; a
// file, a pipe still read and a socket still open are not.
func TestFdGone(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if fdGone(int(w.Fd())) {
		t.Error("a pipe whose reader is open is gone")
	}
	r.Close()
	if !fdGone(int(w.Fd())) {
		t.Error("a pipe whose reader closed is not gone")
	}

	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fdGone(int(f.Fd())) {
		t.Error("a file is gone")
	}

	a, b := socketPair(t)
	defer a.Close()
	if fdGone(int(a.Fd())) {
		t.Error("a socket whose peer is open is gone")
	}
	// The peer closes; respond's next write is answered with a reset,
	// after which writing fails with EPIPE (and raises SIGPIPE).
	b.Close()
	_, _ = a.Write([]byte("x"))
	deadline := time.Now().Add(5 * time.Second)
	for !fdGone(int(a.Fd())) {
		if time.Now().After(deadline) {
			t.Fatal("a socket whose peer closed and reset it is not gone")
		}
		time.Sleep(time.Millisecond)
	}
}

// socketPair is a connected pair of TCP sockets on the loopback, as files.
func socketPair(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	fc, err := c.(*net.TCPConn).File()
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.(*net.TCPConn).File()
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	return fc, fs
}
