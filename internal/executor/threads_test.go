package executor

import (
	"runtime/debug"
	"strings"
	"testing"
)

// Each running step pins a thread of the supervisor; Go's default limit
// of 10,000 threads would abort it, and every step with it, in a fan-out
// wider than that.
func TestServeRaisesTheThreadLimit(t *testing.T) {
	prev := debug.SetMaxThreads(10000)
	defer debug.SetMaxThreads(prev)
	if err := ServeIsolated(strings.NewReader(""), &strings.Builder{}, Isolation{SharedTmp: true}); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMaxThreads(prev); got <= 10000 {
		t.Fatalf("the supervisor's thread limit is %d: a fan-out past it aborts the supervisor", got)
	}
}
