package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// recT is a *testing.T that also keeps its failure messages, so that a
// long test whose cleanups log a lot (servers' stderr) can say again, last,
// why it failed: CI shows only the end of a failed run's output.
type recT struct {
	*testing.T
	mu   sync.Mutex
	msgs []string
}

// summarized wraps t and, when the test fails, logs its failure messages
// after every other cleanup.
func summarized(t *testing.T) *recT {
	rt := &recT{T: t}
	// The first cleanup registered runs last.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		rt.mu.Lock()
		defer rt.mu.Unlock()
		if len(rt.msgs) == 0 {
			return
		}
		t.Logf("%s failed; its failure messages again:\n%s", t.Name(), strings.Join(rt.msgs, "\n"))
	})
	return rt
}

func (rt *recT) note(msg string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	const most = 20
	if len(rt.msgs) < most {
		rt.msgs = append(rt.msgs, "- "+chaosTailOf(msg))
	}
}

func (rt *recT) Errorf(format string, args ...any) {
	rt.Helper()
	rt.note(fmt.Sprintf(format, args...))
	rt.T.Errorf(format, args...)
}

func (rt *recT) Error(args ...any) {
	rt.Helper()
	rt.note(fmt.Sprint(args...))
	rt.T.Error(args...)
}

func (rt *recT) Fatalf(format string, args ...any) {
	rt.Helper()
	rt.note(fmt.Sprintf(format, args...))
	rt.T.Fatalf(format, args...)
}

func (rt *recT) Fatal(args ...any) {
	rt.Helper()
	rt.note(fmt.Sprint(args...))
	rt.T.Fatal(args...)
}
