package imageprog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The expectations restate what argoproj/argosay:v2's script does under
// dash with set -eu.
func TestArgosay(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sub", "out.txt")
	cases := []struct {
		args       []string
		out        string
		status     int
		wantStderr bool
	}{
		{nil, "hello argo\n", 0, false},
		{[]string{"echo"}, "hello argo\n", 0, false},
		{[]string{"echo", "hi there"}, "hi there\n", 0, false},
		{[]string{"echo", `a\tb\c ignored`}, "a\tb", 0, false},
		{[]string{"echo", "a", "b", "c"}, "", 0, false},
		{[]string{"echo", "to file", file}, "", 0, false},
		{[]string{"cat", file}, "to file\n", 0, false},
		{[]string{"cat", filepath.Join(dir, "none")}, "", 1, true},
		{[]string{"cat"}, "", 2, true},
		{[]string{"assert_contains", file, "to f"}, "to file\n", 0, false},
		{[]string{"assert_contains", file, "nope"}, "", 1, false},
		{[]string{"assert_contains", filepath.Join(dir, "none"), "x"}, "", 2, true},
		{[]string{"exit"}, "", 0, false},
		{[]string{"exit", "1"}, "", 1, false},
		{[]string{"exit", "257"}, "", 1, false},
		{[]string{"exit", "x"}, "", 2, true},
		{[]string{"sleep", "0.01"}, "", 0, false},
		{[]string{"sleep", "0s"}, "", 0, false},
		{[]string{"sleep", "soon"}, "", 1, true},
		{[]string{"sleep"}, "", 2, true},
		{[]string{"unknown"}, "", 1, false},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		status := Argosay(c.args, &out, &errb)
		if status != c.status || out.String() != c.out || (errb.Len() > 0) != c.wantStderr {
			t.Errorf("argosay %q: status %d, stdout %q, stderr %q; want %d, %q (stderr: %v)",
				c.args, status, out.String(), errb.String(), c.status, c.out, c.wantStderr)
		}
	}
}

func TestArgosaySh(t *testing.T) {
	script := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(script, []byte("echo ran; exit 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if status := Argosay([]string{"sh", script}, &out, &errb); status != 3 || out.String() != "ran\n" {
		t.Fatalf("argosay sh: status %d, stdout %q, stderr %q", status, out.String(), errb.String())
	}
}

func TestCowsay(t *testing.T) {
	var out bytes.Buffer
	Cowsay([]string{"hello", "world"}, nil, &out)
	want := " _____________\n< hello world >\n -------------\n" + cow
	if out.String() != want {
		t.Fatalf("cowsay hello world:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	Cowsay(nil, strings.NewReader(strings.Repeat("word ", 12)+"\n"), &out)
	lines := strings.Split(out.String(), "\n")
	if !strings.HasPrefix(lines[1], "/ word") || !strings.HasPrefix(lines[2], "\\ word") || !strings.HasSuffix(lines[2], " /") {
		t.Fatalf("cowsay from stdin, two lines:\n%s", out.String())
	}
}

// sleep(1), which argosay's script calls, takes an interval too long to
// count (or inf) as "sleep until killed", not as zero.
func TestArgosaySleepOverflowSleeps(t *testing.T) {
	for _, d := range []string{"99999999999999999999s", "1e300d", "inf", "9223372037s"} {
		done := make(chan int, 1)
		go func() { done <- Argosay([]string{"sleep", d}, io.Discard, io.Discard) }()
		select {
		case status := <-done:
			t.Errorf("argosay sleep %s returned %d at once", d, status)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
