package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// semaflow-init is small because it depends on nothing but the standard
// library and x/sys/unix: every step run as the step user starts it, and
// each dependency's package init would be paid per step.
func TestOnlyTheStandardLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := []string{
		"github.com/semaflow/semaflow/cmd/semaflow-init",
		"github.com/semaflow/semaflow/internal/stepinit",
		"golang.org/x/sys/unix",
	}
	for _, dep := range strings.Fields(string(out)) {
		if !slices.Contains(allowed, dep) {
			t.Errorf("semaflow-init depends on %s: keep the step init to the standard library and x/sys/unix", dep)
		}
	}
}

// The init runs as root with the step's files within reach: it must not
// be dynamically linked (the loader would honour an environment or a
// library path a workflow could steer), and it must stay small to start
// fast (net or os/user would bring both cgo and size).
func TestStaticAndSmall(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "semaflow-init")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("semaflow-init is dynamically linked (it has a program interpreter)")
		}
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 6 << 20
	if st.Size() > limit {
		t.Errorf("semaflow-init is %d bytes, more than %d: something heavy was linked in", st.Size(), limit)
	}
}
