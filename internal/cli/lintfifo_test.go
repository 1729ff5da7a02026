package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe called *.yaml in a directory is reported, not read (the
// read waited for a writer for ever); one named on the command line
// reads as empty when nothing writes it, instead of hanging.
func TestLintDoesNotHangOnANamedPipe(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "f.yaml"), 0o600); err != nil {
		t.Skip(err)
	}
	ok := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: \"1\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "ok.yaml"), []byte(ok), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arg, want string
		fails     bool
	}{
		{dir, "not a regular file (a named pipe)", true},
		{filepath.Join(dir, "f.yaml"), "0 documents", false},
	} {
		done := make(chan struct{})
		var out bytes.Buffer
		var err error
		go func() {
			err = runLint(&out, &out, []string{c.arg}, &lintOptions{output: "text", maxSize: 1 << 20})
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("lint %s still running after 10s", c.arg)
		}
		if !strings.Contains(out.String(), c.want) || (err != nil) != c.fails {
			t.Errorf("lint %s: err %v, output:\n%s\nwant %q", c.arg, err, out.String(), c.want)
		}
	}
}
