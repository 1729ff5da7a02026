package cli

import (
	"strings"
	"testing"
	"time"
)

// A lease that would panic the renewal ticker (under 3 ns) or overflow the
// lease's end (thousands of years) is refused, naming the flag; so is a
// margin too short for a supervisor to kill its step in.
func TestLeaseBounds(t *testing.T) {
	ok := leaseFlags{ttl: 15 * time.Second, margin: 5 * time.Second}
	for _, ttl := range []time.Duration{-5 * time.Second, 0, 1, 2, 999 * time.Millisecond, 25 * time.Hour, 2562047 * time.Hour} {
		l := ok
		l.ttl = ttl
		if err := l.check(); err == nil || !strings.Contains(err.Error(), "--lease-ttl") {
			t.Errorf("ttl %v: %v, want a refusal naming --lease-ttl", ttl, err)
		}
	}
	for _, m := range []time.Duration{-time.Second, 0, 100 * time.Millisecond, 2 * time.Hour} {
		l := ok
		l.margin = m
		if err := l.check(); err == nil || !strings.Contains(err.Error(), "--lease-margin") {
			t.Errorf("margin %v: %v, want a refusal naming --lease-margin", m, err)
		}
	}
	for _, ttl := range []time.Duration{time.Second, 15 * time.Second, 24 * time.Hour} {
		l := ok
		l.ttl = ttl
		if err := l.check(); err != nil {
			t.Errorf("%v: %v", ttl, err)
		}
	}
}
