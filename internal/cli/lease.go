package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/engine"
)

// addLeaseFlag adds the hidden --lease-ttl: tests shorten the lease to
// see an engine lose it without waiting 15 seconds.
func addLeaseFlag(cmd *cobra.Command, ttl *time.Duration) {
	cmd.Flags().DurationVar(ttl, "lease-ttl", engine.DefaultLeaseTTL,
		"how long this engine's session lease lasts without renewal; it is renewed every third of that")
	_ = cmd.Flags().MarkHidden("lease-ttl")
}

// Bounds of --lease-ttl: below a second renewals (every third) would
// crowd the store, and past a day a dead engine would hold its store
// for longer than anyone waits.
const (
	minLeaseTTL = time.Second
	maxLeaseTTL = 24 * time.Hour
)

// checkLeaseTTL refuses a lease outside the bounds, naming the flag.
func checkLeaseTTL(ttl time.Duration) error {
	if ttl < minLeaseTTL || ttl > maxLeaseTTL {
		return fmt.Errorf("--lease-ttl %s: want a duration from %s to %s", ttl, minLeaseTTL, maxLeaseTTL)
	}
	return nil
}
