package cli

import (
	"testing"
	"time"
)

// The LEASE column: a lease to come, or how long ago one ended, to the
// second in at most two units.
func TestLeaseColumn(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		14*time.Second + 400*time.Millisecond: "expires in 14s",
		-185 * time.Second:                    "expired 3m05s ago",
		-(26*time.Hour + 7*time.Minute):       "expired 26h07m ago",
		-(75 * time.Hour):                     "expired 3d03h ago",
		0:                                     "expired 0s ago",
	} {
		if got := lease(now.Add(d), now); got != want {
			t.Errorf("lease %v from now: %q, want %q", d, got, want)
		}
	}
}
