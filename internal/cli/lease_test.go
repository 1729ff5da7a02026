package cli

import (
	"strings"
	"testing"
	"time"
)

// A lease that would panic the renewal ticker (under 3 ns) or overflow the
// lease's end (thousands of years) is refused, naming the flag.
func TestLeaseTTLBounds(t *testing.T) {
	for _, ttl := range []time.Duration{-5 * time.Second, 0, 1, 2, 999 * time.Millisecond, 25 * time.Hour, 2562047 * time.Hour} {
		if err := checkLeaseTTL(ttl); err == nil || !strings.Contains(err.Error(), "--lease-ttl") {
			t.Errorf("%v: %v, want a refusal naming --lease-ttl", ttl, err)
		}
	}
	for _, ttl := range []time.Duration{time.Second, 15 * time.Second, 24 * time.Hour} {
		if err := checkLeaseTTL(ttl); err != nil {
			t.Errorf("%v: %v", ttl, err)
		}
	}
}
