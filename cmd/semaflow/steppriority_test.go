package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitWrapper, first on semaflow's PATH, logs the nice value and the
// scheduler slice ("none" without /proc/PID/sched) git runs at, then runs
// the real git. Builtins only: git's environment may lack the tools.
const gitWrapper = `#!/bin/sh
at() { shift 18; nice=$1; }
read -r stat < /proc/$$/stat
at $stat
slice=none
if [ -r /proc/$$/sched ]; then
  while read -r k c v; do [ "$k" = se.slice ] && slice=$v; done < /proc/$$/sched
fi
echo "$nice $slice" >> %s
exec %s "$@"
`

// The git of a git input artifact works for a step: the engine, raised
// (--control-priority), runs it at the steps' nice and slice, with the
// step user and without.
func TestGitInputRunsAtTheStepsPriority(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raising a priority needs root")
	}
	realGit, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git on this host")
	}
	base := niceOf(t, "self")
	if base-5 < -20 {
		t.Skipf("this test runs at nice %d: no room to raise by 5", base)
	}
	// Where the step user reaches too (a test's temporary directory is
	// its user's only).
	top, err := os.MkdirTemp("/var/tmp", "semaflow-gitprio-")
	if err != nil {
		t.Skipf("no directory the step user reaches: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(top) })
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	repo, bin := filepath.Join(top, "repo"), filepath.Join(top, "bin")
	for _, d := range []string{repo, bin} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	log := filepath.Join(top, "git.log")
	git := func(args ...string) {
		cmd := exec.Command(realGit, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(repo, "f"), []byte("from git\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "f")
	git("commit", "-q", "-m", "one")
	if err := os.WriteFile(filepath.Join(bin, "git"), fmt.Appendf(nil, gitWrapper, log, realGit), 0o755); err != nil {
		t.Fatal(err)
	}
	wf := writeFile(t, "gitart.yaml", fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: gitart-}
spec:
  entrypoint: s
  templates:
  - name: s
    inputs:
      artifacts: [{name: src, path: /tmp/src, git: {repo: %q}}]
    container:
      image: alpine
      command: [sh, -c, 'cat /tmp/src/f; echo "step: $(cut -d" " -f19 /proc/$$/stat) $(grep ^se.slice /proc/$$/sched | tr -s " " | cut -d" " -f3)"']
`, repo))
	for _, user := range []string{"", "nobody"} {
		// Writable by whom git runs as.
		if err := os.WriteFile(log, nil, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(log, 0o666); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(binary, "run", "--log", "--step-user", user, wf)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "from git") {
			t.Fatalf("--step-user %q: %v\n%s", user, err, out)
		}
		// The step's own slice is semaflow's (this test's threads' may
		// differ: other tests ask for their own).
		_, step, _ := strings.Cut(string(out), "step: ")
		step, _, _ = strings.Cut(step, "\n")
		if want := fmt.Sprint(base); !strings.HasPrefix(step, want+" ") {
			t.Fatalf("--step-user %q: the step runs at %q, want nice %s\n%s", user, step, want, out)
		}
		want := step
		b, err := os.ReadFile(log)
		if err != nil || len(b) == 0 {
			t.Fatalf("--step-user %q: the wrapper logged nothing: %v", user, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line != want {
				t.Errorf("--step-user %q: git ran at nice and slice %q, want %q (the steps')", user, line, want)
			}
		}
	}
}
