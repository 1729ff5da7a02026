package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// build is one semaflow binary under test.
type build struct {
	name, bin, rev string
	// src is the tree it was built from (profiles build its test binary).
	src string
}

func describe(bs []build) string {
	var parts []string
	for _, b := range bs {
		parts = append(parts, b.name+"="+b.rev)
	}
	return strings.Join(parts, " ")
}

func repoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse --show-toplevel (run enginebench inside the repository): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// makeBuild takes bin as it is, or builds rev (the working tree when
// empty) into dir.
func makeBuild(name, rev, bin, dir string) (build, error) {
	if bin != "" {
		abs, err := filepath.Abs(bin)
		return build{name: name, bin: abs, rev: bin}, err
	}
	src, err := sourceTree(rev, dir)
	if err != nil {
		return build{}, err
	}
	out := filepath.Join(dir, "semaflow")
	pkgs := []string{"./cmd/semaflow"}
	// Beside semaflow, as installed: steps run as the step user start
	// through it (revisions before it have none).
	if _, err := os.Stat(filepath.Join(src, "cmd", "semaflow-init")); err == nil {
		pkgs = append(pkgs, "./cmd/semaflow-init")
	}
	cmd := exec.Command("go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return build{}, fmt.Errorf("building %s (%s): %w\n%s", name, src, err, b)
	}
	label := rev
	if label == "" {
		label = "worktree"
	} else if h, err := exec.Command("git", "rev-parse", "--short", rev).Output(); err == nil {
		label = rev + "@" + strings.TrimSpace(string(h))
	}
	return build{name: name, bin: out, rev: label, src: src}, nil
}

// sourceTree is the repository root for the working tree, or rev's files
// unpacked under dir (git archive: no checkout, no worktree touched).
func sourceTree(rev, dir string) (string, error) {
	root, err := repoRoot()
	if err != nil || rev == "" {
		return root, err
	}
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	sh := fmt.Sprintf("git -C %q archive %q | tar -x -C %q", root, rev, src)
	if b, err := exec.Command("sh", "-c", sh).CombinedOutput(); err != nil {
		return "", fmt.Errorf("unpacking %s: %w\n%s", rev, err, b)
	}
	return src, nil
}
