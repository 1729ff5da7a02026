package cli

import (
	"fmt"
	"math"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/spec"
)

// serverLimits is what client-side lint applies before sending manifests
// to a server: none, since the server refuses by its own limits.
var serverLimits = spec.Limits{MaxLoopItems: math.MaxInt32, MaxNodes: math.MaxInt32,
	MaxNodeName: math.MaxInt32, MaxNodeNameBytes: math.MaxInt32, MaxOutputBytes: math.MaxInt32}

// addLimitFlags adds the flags that bound each workflow's size, for run
// and server alike.
func addLimitFlags(cmd *cobra.Command, l *spec.Limits) {
	f, d := cmd.Flags(), spec.DefaultLimits
	f.IntVar(&l.MaxLoopItems, "max-loop-items", d.MaxLoopItems,
		"most items one withItems, withParam or withSequence may have; a literal loop over it is refused, one that grows over it at run time fails its workflow")
	f.IntVar(&l.MaxNodes, "max-nodes", d.MaxNodes,
		"most nodes (steps, groups, retries) one workflow may have; a workflow that would pass it fails")
	f.IntVar(&l.MaxNodeName, "max-node-name", d.MaxNodeName,
		"most bytes one node's name may have (names grow with nesting depth); a workflow that would pass it fails")
	f.IntVar(&l.MaxNodeNameBytes, "max-node-name-bytes", d.MaxNodeNameBytes,
		"most bytes all node names of one workflow may sum to; a workflow that would pass it fails")
	f.IntVar(&l.MaxOutputBytes, "max-output-bytes", d.MaxOutputBytes,
		"most bytes the output parameters and results of one workflow's steps may sum to; the step that would pass it fails its workflow")
}

func checkLimits(l spec.Limits) error {
	if l.MaxLoopItems < 1 {
		return fmt.Errorf("--max-loop-items must be at least 1, got %d", l.MaxLoopItems)
	}
	if l.MaxNodes < 1 {
		return fmt.Errorf("--max-nodes must be at least 1, got %d", l.MaxNodes)
	}
	if l.MaxNodeName < 1 {
		return fmt.Errorf("--max-node-name must be at least 1, got %d", l.MaxNodeName)
	}
	if l.MaxNodeNameBytes < 1 {
		return fmt.Errorf("--max-node-name-bytes must be at least 1, got %d", l.MaxNodeNameBytes)
	}
	if l.MaxOutputBytes < 1 {
		return fmt.Errorf("--max-output-bytes must be at least 1, got %d", l.MaxOutputBytes)
	}
	return nil
}
