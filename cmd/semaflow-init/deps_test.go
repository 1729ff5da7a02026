package main

import (
	"os/exec"
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
