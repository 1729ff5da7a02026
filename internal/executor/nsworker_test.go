package executor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A step with a private /tmp is started from a thread that took the
// step's mount namespace. Once the step is reaped, that thread goes back
// to the host's namespace and starts the next such step, instead of being
// thrown away and a new one made for every step; each step still sees
// only its own /tmp.
func TestPrivateStepsReuseTheirSpawnThread(t *testing.T) {
	if !namespacesAvailable() || !probePrivateTmp() {
		t.Skip("no private mount namespaces here")
	}
	_ = os.Remove("/tmp/semaflow-nsworker-mark") // a failed run's
	s := startServe(t)
	defer stopServe(t, s)
	spec := func(int) Spec {
		return Spec{Command: []string{"sh", "-c", "test ! -e /tmp/semaflow-nsworker-mark && touch /tmp/semaflow-nsworker-mark && test -e /tmp/semaflow-nsworker-mark"}, Env: envWithout("TMPDIR")}
	}
	_, first := runSeq(t, s, 1, spec)
	awaitIdleNSThread(t)
	made := nsThreadsMade.Load()
	_, rest := runSeqThen(t, s, 6, spec, func() { awaitIdleNSThread(t) })
	for i, r := range append(first, rest...) {
		if r.ExitCode != 0 || r.StartError != "" {
			t.Fatalf("step %d saw another step's /tmp, or failed: %+v", i, r)
		}
	}
	if got := nsThreadsMade.Load() - made; got > 0 {
		t.Errorf("6 private steps one after another made %d new spawn threads; want the first step's reused", got)
	}
	if _, err := os.Stat("/tmp/semaflow-nsworker-mark"); err == nil {
		t.Error("a step wrote the host's /tmp")
	}
}

// A step with its own root chroots its spawn thread; the step that
// thread starts next sees the host's root again, and its own working
// directory.
func TestStepAfterAStepRootSeesTheHostRoot(t *testing.T) {
	if !namespacesAvailable() || !probePrivateTmp() {
		t.Skip("no private mount namespaces here")
	}
	s := startServe(t)
	defer stopServe(t, s)
	wd := "/semaflow-nsworker-wd"
	// The supervisor's probe, then this step, have a thread by now.
	runSeq(t, s, 1, func(int) Spec { return Spec{Command: []string{"true"}, Env: envWithout("TMPDIR")} })
	awaitIdleNSThread(t)
	made := nsThreadsMade.Load()
	dirs, results := runSeqThen(t, s, 4, func(i int) Spec {
		if i%2 == 0 {
			return Spec{Command: []string{"sh", "-c", "pwd"}, WorkingDir: wd, Env: envWithout("TMPDIR")}
		}
		return Spec{Command: []string{"sh", "-c", "test ! -e " + wd + " && test -e /proc/1 && pwd"}, Env: envWithout("TMPDIR")}
	}, func() { awaitIdleNSThread(t) })
	for i, r := range results {
		want := wd
		if i%2 == 1 {
			want = filepath.Join(dirs[i], WorkDir)
		}
		if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != want {
			t.Errorf("step %d: %+v; want it in %s", i, r, want)
		}
	}
	if _, err := os.Stat(wd); err == nil {
		t.Errorf("a step's workingDir %s was made on the host", wd)
	}
	if got := nsThreadsMade.Load() - made; got > 0 {
		t.Errorf("4 steps one after another made %d spawn threads; want the idle one reused", got)
	}
}

// awaitIdleNSThread waits until a spawn thread is back from its last step
// (it goes back after the step is reported, off the step's exit path).
func awaitIdleNSThread(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		nsThreads.mu.Lock()
		n := len(nsThreads.idle)
		nsThreads.mu.Unlock()
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no spawn thread came back from its step")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
