package executor

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Each step gets exactly its own environment, in order, whether it shares
// a long prefix with the steps before it (sent once, as the declared
// base), shares a different one, or none: a base a step does not start
// with must never leak into it.
func TestStepsGetTheirExactEnvironmentAsTheSharedPartChanges(t *testing.T) {
	before := supervisors()
	t.Cleanup(func() { killSupervisors(before) })
	common := []string{"PATH=/usr/bin:/bin", "A=1", "B=2", "C=3", "D=4", "E=5"}
	other := []string{"PATH=/usr/bin:/bin", "A=1", "B=other", "C=3", "D=4", "E=5", "F=6"}
	with := func(base []string, own ...string) []string { return append(slices.Clone(base), own...) }
	envs := [][]string{
		with(common, "STEP=0"),
		with(common, "STEP=1"), // takes the base declared from steps 0 and 1
		with(common, "STEP=2", "X=y"),
		with(common[:3], "STEP=3"), // shorter than the base
		with(other, "STEP=4"),
		with(other, "STEP=5"), // a new base
		{"PATH=/usr/bin:/bin", "STEP=6"},
		with(common, "STEP=7"),
		with(common, "STEP=8"),
		with(common, "A=override", "STEP=9"),
	}
	results := make(chan [2]string, len(envs))
	l := &Local{Self: self(t), Done: func(key string, r *Result) {
		results <- [2]string{key, fmt.Sprintf("%d %s|%s", r.ExitCode, r.StartError, r.Stdout)}
	}}
	root := t.TempDir()
	for i, env := range envs {
		// One at a time, in order, so that each start sees the base its
		// predecessors left.
		j := Job{Key: fmt.Sprint(i), Dir: fmt.Sprintf("%s/%d", root, i), Spec: Spec{Command: []string{"/usr/bin/env"}, Env: env}}
		if err := l.Start(j); err != nil {
			t.Fatal(err)
		}
		var got [2]string
		select {
		case got = <-results:
		case <-time.After(60 * time.Second):
			t.Fatalf("step %d: no result", i)
		}
		out, _ := strings.CutPrefix(got[1], "0 |")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		// A step with a shared /tmp also gets TMPDIR, last.
		lines = slices.DeleteFunc(lines, func(s string) bool { return strings.HasPrefix(s, "TMPDIR=") })
		want := env
		if i == 9 {
			// exec keeps the last of a name given twice, where it is.
			want = with(common[:1], "B=2", "C=3", "D=4", "E=5", "A=override", "STEP=9")
		}
		if !slices.Equal(lines, want) {
			t.Errorf("step %d: environment\n%q\nwant\n%q (result %s)", i, lines, want, got[1])
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// nopCloser is a buffer an outbox can write to.
type nopCloser struct{ strings.Builder }

func (*nopCloser) Close() error { return nil }

// The shared part of the environment goes to the supervisor once, not in
// every start request.
func TestStartRequestsCarryOnlyTheirOwnEnvironment(t *testing.T) {
	w := &nopCloser{}
	s := &supervisor{out: newOutbox(w)}
	base := []string{"A=1", "B=2", "C=3", "D=4", "E=5"}
	for i := range 3 {
		env := append(slices.Clone(base), fmt.Sprint("STEP=", i))
		if err := s.sendStart(request{Op: "start", Key: fmt.Sprint(i), Spec: &Spec{Env: env}}, env); err != nil {
			t.Fatal(err)
		}
	}
	s.out.close()
	<-s.out.done
	want := `{"op":"start","key":"0","spec":{"command":null,"env":["A=1","B=2","C=3","D=4","E=5","STEP=0"],"deadline":"0001-01-01T00:00:00Z"}}
{"op":"env","key":"","env":["A=1","B=2","C=3","D=4","E=5"]}
{"op":"start","key":"1","spec":{"command":null,"env":["STEP=1"],"deadline":"0001-01-01T00:00:00Z"},"envBase":5}
{"op":"start","key":"2","spec":{"command":null,"env":["STEP=2"],"deadline":"0001-01-01T00:00:00Z"},"envBase":5}
`
	if w.String() != want {
		t.Errorf("requests:\n%s\nwant\n%s", w.String(), want)
	}
	r := request{Spec: &Spec{Env: []string{"STEP=1"}}, EnvBase: 6}
	if err := withEnvBase(&r, base); err == nil {
		t.Errorf("a request taking 6 entries of a base of 5 was accepted: %q", r.Spec.Env)
	}
	r.EnvBase = 2
	if err := withEnvBase(&r, base); err != nil || !slices.Equal(r.Spec.Env, []string{"A=1", "B=2", "STEP=1"}) {
		t.Errorf("environment %q, %v", r.Spec.Env, err)
	}
}
