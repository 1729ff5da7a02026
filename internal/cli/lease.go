package cli

import (
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
