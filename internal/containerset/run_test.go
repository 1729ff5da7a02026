package containerset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		plan Plan
		want string
	}{
		{Plan{}, "at least one container"},
		{Plan{Containers: []Container{{Name: "a"}, {Name: "a"}}}, "appears twice"},
		{Plan{Containers: []Container{{Name: "a", Dependencies: []string{"x"}}}}, `dependency "x" not defined`},
		{Plan{Containers: []Container{{Name: "a", Dependencies: []string{"b"}}, {Name: "b", Dependencies: []string{"a"}}}}, "cycle"},
	} {
		if err := c.plan.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.plan, err, c.want)
		}
	}
}

func sh(name, script string, deps ...string) Container {
	return Container{Name: name, Argv: []string{"sh", "-c", script}, Dependencies: deps}
}

// Containers run in dependency order in one working directory; only
// main's stdout is the step's; a failed container stops its dependents
// and sets the exit code; a failing container runs Attempts times; a
// program that cannot be found runs no more.
func TestRun(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errOut bytes.Buffer
	code := Run(Plan{Containers: []Container{
		sh("a", "sleep 0.2; echo a > f; echo a-stdout"),
		sh("b", "echo b >> f", "a"),
		sh(MainContainer, "cat f", "b"),
	}}, &out, &errOut)
	if code != 0 || out.String() != "a\nb\n" || !strings.Contains(errOut.String(), "a-stdout") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}

	out.Reset()
	errOut.Reset()
	code = Run(Plan{Containers: []Container{
		sh("a", "exit 3"),
		sh(MainContainer, "echo ran", "a"),
		sh("free", "echo free-ran"),
	}}, &out, &errOut)
	if code != 3 || out.String() != "" || !strings.Contains(errOut.String(), `container main: not run: dependency "a" exited with non-zero code: 3`) ||
		!strings.Contains(errOut.String(), "free-ran") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}

	errOut.Reset()
	code = Run(Plan{Attempts: 3, Containers: []Container{
		sh("count", "echo x >> tries; exit 1"),
		{Name: "missing", Argv: []string{"no-such-program-here"}},
	}}, &out, &errOut)
	tries, _ := os.ReadFile(filepath.Join(".", "tries"))
	if code != 1 || strings.Count(string(tries), "x") != 3 || strings.Count(errOut.String(), "failed to find name in PATH") != 1 {
		t.Fatalf("exit %d, %d tries, stderr %q", code, strings.Count(string(tries), "x"), errOut.String())
	}
}
