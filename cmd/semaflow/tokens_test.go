package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serverStartStderr starts a server with the token file, waits until it
// listens, stops it and returns what it wrote to stderr.
func serverStartStderr(t *testing.T, tokens string) string {
	t.Helper()
	cmd := exec.Command(binary, "server", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "db"), "--auth-token-file", tokens)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	done := make(chan bool, 1)
	go func() { done <- lines.Scan() && strings.Contains(lines.Text(), "listening") }()
	select {
	case ok := <-done:
		if !ok {
			t.Fatalf("server did not start: %s", stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	return stderr.String()
}

// A token file others can read, or a short token, is worth a warning at
// start; a private file of long tokens is not.
func TestServerWarnsAboutWeakTokens(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("0123456789abcdef0123\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(open, 0o644) // whatever the umask
	if out := serverStartStderr(t, open); !strings.Contains(out, open) || !strings.Contains(out, "readable") {
		t.Errorf("a token file readable by others: stderr %q", out)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("0123456789abcdef0123\nshort team-a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := serverStartStderr(t, short); !strings.Contains(out, "line 2") || !strings.Contains(out, "16") || strings.Contains(out, "short team-a") {
		t.Errorf("a short token: stderr %q (want the line, not the token)", out)
	}
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte("0123456789abcdef0123 team-a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := serverStartStderr(t, good); strings.Contains(strings.ToLower(out), "warn") {
		t.Errorf("a private file of long tokens: stderr %q", out)
	}
}
