package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the semaflow binary Main built for this test binary.
var binary string

// Main is a package's TestMain for tests that run real steps: see Run.
// The binary is built without the race detector, whose cost would slow
// every step these tests time.
func Main(m *testing.M) {
	os.Exit(Run(m, false, func(path string) { binary = path }))
}

// MainThen is Main, calling after once the tests have run: to stop what
// they shared, such as a browser.
func MainThen(m *testing.M, after func()) {
	code := Run(m, false, func(path string) { binary = path })
	after()
	os.Exit(code)
}

// Run builds the semaflow binary (with the race detector when race is
// set), hands its path to use, runs the tests, removes the binary and
// stops the PostgreSQL server the tests started (StartPostgres). It
// builds before any test runs, so that no test or benchmark times the
// build, and returns the exit code for os.Exit.
func Run(m *testing.M, race bool, use func(path string)) int {
	mainStarted = true
	defer stopShared()
	dir, err := os.MkdirTemp("", "semaflow-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		return 2
	}
	defer func() { _ = os.RemoveAll(dir) }()
	path := filepath.Join(dir, "semaflow")
	args := []string{"build", "-o", dir + "/"}
	if race {
		args = append(args, "-race")
	}
	// By import path, so that it builds from any package's directory;
	// semaflow-init beside semaflow, as installed (steps run as the step
	// user start through it).
	pkgs := []string{"github.com/semaflow/semaflow/cmd/semaflow", "github.com/semaflow/semaflow/cmd/semaflow-init"}
	if out, err := exec.Command("go", append(args, pkgs...)...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "testkit: go build ./cmd/semaflow ./cmd/semaflow-init: %v\n%s", err, out)
		return 2
	}
	use(path)
	return m.Run()
}

// Binary is the semaflow binary that Main built.
func Binary(tb testing.TB) string {
	tb.Helper()
	if binary == "" {
		tb.Fatal("testkit: no semaflow binary: the package's TestMain must call testkit.Main")
	}
	return binary
}
