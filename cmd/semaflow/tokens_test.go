package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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

// A token file its group can read, or a short token, is worth a warning
// at start; a private file of long tokens is not.
func TestServerWarnsAboutWeakTokens(t *testing.T) {
	dir := t.TempDir()
	group := filepath.Join(dir, "group")
	if err := os.WriteFile(group, []byte("0123456789abcdef0123\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(group, 0o640) // whatever the umask
	if out := serverStartStderr(t, group); !strings.Contains(out, group) || !strings.Contains(out, "readable") {
		t.Errorf("a token file readable by its group: stderr %q", out)
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

// serverStartFails runs a server with the token file that must refuse to
// start, and returns its exit code and output (-1 if it started).
func serverStartFails(t *testing.T, tokens string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "server", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "db"), "--auth-token-file", tokens)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return -1, string(out)
	}
	if err == nil {
		return 0, string(out)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// A line written as Argo users keep tokens, "Bearer <token>", means the
// token, not a token "Bearer" scoped to a namespace named after it.
func TestServerTokenFileBearerPrefix(t *testing.T) {
	const scoped, admin = "0123456789abcdef0123", "admin-0123456789abcdef"
	tokens := writeFile(t, "tokens", "Bearer "+scoped+" team-a\nbearer "+admin+"\n")
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"), "--auth-token-file", tokens)
	for _, c := range []struct {
		token, path string
		want        int
	}{
		{scoped, "/api/v1/workflows/team-a", 200},
		{scoped, "/api/v1/workflows/team-b", 403},
		{admin, "/api/v1/workflows/team-b", 200},
		{"Bearer", "/api/v1/workflows/" + scoped, 401},
		{"bearer", "/api/v1/workflows/" + admin, 401},
	} {
		if code, out := httpDo(t, "GET", s.url+c.path, c.token, ""); code != c.want {
			t.Errorf("token %.6s..., GET %s: %d, want %d (%v)", c.token, c.path, code, c.want, out)
		}
	}
}

// A line that cannot be what its writer meant stops the start, naming
// the line and never quoting a token.
func TestServerRefusesBadTokenLines(t *testing.T) {
	const tok = "0123456789abcdef0123"
	for _, c := range []struct{ what, file, want string }{
		{"namespace not a DNS-1123 label", "# tokens\n" + tok + " team-a,Team_B\n", "line 2"},
		{"a second token where namespaces go", tok + " other-token-0123456789_SECRET\n", "line 1"},
		{"Bearer and nothing", tok + "\nBearer\n", "line 2"},
	} {
		tokens := writeFile(t, "tokens", c.file)
		code, out := serverStartFails(t, tokens)
		if code <= 0 || !strings.Contains(out, c.want) || !strings.Contains(out, tokens) {
			t.Errorf("%s: exit %d, output %q, want a failure naming %s of %s", c.what, code, out, c.want, tokens)
		}
		if strings.Contains(out, tok) || strings.Contains(out, "SECRET") {
			t.Errorf("%s: the error quotes a token: %q", c.what, out)
		}
	}
}

// A token file others may read or write is refused: steps run as another
// user (nobody) and could read the admin token from it, or add one.
func TestServerRefusesTokenFileOthersCanReach(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o604, 0o602, 0o666} {
		tokens := writeFile(t, "tokens", "0123456789abcdef0123\n")
		if err := os.Chmod(tokens, mode); err != nil {
			t.Fatal(err)
		}
		code, out := serverStartFails(t, tokens)
		want := fmt.Sprintf("%04o", mode)
		if code <= 0 || !strings.Contains(out, tokens) || !strings.Contains(out, want) || !strings.Contains(out, "chmod 600") {
			t.Errorf("mode %s: exit %d, output %q, want a failure naming the file, its mode and chmod 600", want, code, out)
		}
	}
}
