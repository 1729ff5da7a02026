package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/engine"
)

// leaseFlags are --lease-ttl and --lease-margin.
type leaseFlags struct{ ttl, margin time.Duration }

// addLeaseFlags adds the lease flags. They matter most with several nodes
// on one PostgreSQL database: a node's steps are killed when its lease
// ends unrenewed, and other nodes take its workflows and permits over a
// margin later, so a dead node holds its permits for at most about
// ttl + margin.
func addLeaseFlags(cmd *cobra.Command, l *leaseFlags) {
	cmd.Flags().DurationVar(&l.ttl, "lease-ttl", engine.DefaultLeaseTTL,
		"how long this engine's session lease lasts without renewal (renewed every third of that): "+
			"with several nodes, how soon a dead or frozen node's steps are killed")
	cmd.Flags().DurationVar(&l.margin, "lease-margin", engine.DefaultLeaseMargin,
		"with several nodes on one PostgreSQL database: how long after a node's lease ended the others wait "+
			"before adopting its workflows and permits (covers clock differences and the kill of its steps)")
}

// Bounds of the lease flags: below a second renewals (every third) would
// crowd the store, and past a day a dead engine would hold its store for
// longer than anyone waits. A margin under 100 ms leaves no time for a
// supervisor's check (every 100 ms) to kill a step.
const (
	minLeaseTTL    = time.Second
	maxLeaseTTL    = 24 * time.Hour
	minLeaseMargin = 200 * time.Millisecond
	maxLeaseMargin = time.Hour
)

// check refuses a lease or margin outside the bounds, naming the flag.
func (l leaseFlags) check() error {
	if l.ttl < minLeaseTTL || l.ttl > maxLeaseTTL {
		return fmt.Errorf("--lease-ttl %s: want a duration from %s to %s", l.ttl, minLeaseTTL, maxLeaseTTL)
	}
	if l.margin < minLeaseMargin || l.margin > maxLeaseMargin {
		return fmt.Errorf("--lease-margin %s: want a duration from %s to %s", l.margin, minLeaseMargin, maxLeaseMargin)
	}
	return nil
}
