package executor

import (
	"os"
	"testing"
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
	s := startServe(t)
	defer func() { _ = s.in.Close(); <-s.done }()
	spec := func(int) Spec {
		return Spec{Command: []string{"sh", "-c", "test ! -e /tmp/semaflow-nsworker-mark && touch /tmp/semaflow-nsworker-mark && test -e /tmp/semaflow-nsworker-mark"}, Env: envWithout("TMPDIR")}
	}
	_, first := runSeq(t, s, 1, spec)
	made := nsThreadsMade.Load()
	_, rest := runSeq(t, s, 6, spec)
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
