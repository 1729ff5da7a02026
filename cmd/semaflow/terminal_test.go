package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A step's log may hold terminal escapes (here one that retitles the
// window). On a terminal `semaflow logs` prints them escaped; into a pipe
// it passes the bytes as they are.
func TestCLIEscapesControlCharactersOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no `script` to provide a terminal")
	}
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"))
	t.Setenv("SEMAFLOW_SERVER", s.url)
	wf := writeFile(t, "esc.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: esc}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: [printf, '\033]0;pwned\007 title\r\n\302\233 c1\n']}}
`)
	if out, code := run(t, "submit", "--watch", wf); code != 0 {
		t.Fatalf("submit: exit %d\n%s", code, out)
	}
	out, err := exec.Command("script", "-qec", binary+" logs esc", "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%q", err, out)
	}
	got := string(out)
	if !strings.Contains(got, "pwned") || strings.Contains(got, "\x1b]0;pwned") || strings.Contains(got, "\a") ||
		strings.Contains(got, "\u009b") || strings.Contains(got, "title\r\r") {
		t.Fatalf("logs on a terminal: %q", got)
	}
	if got, code := run(t, "logs", "esc"); code != 0 || !strings.Contains(got, "\x1b]0;pwned\a") {
		t.Fatalf("logs into a pipe: exit %d %q, want the bytes as they are", code, got)
	}
	s.stop(t)
}
