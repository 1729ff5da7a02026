package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/app"
)

// addNodeNameFlag adds --node-name, the name this engine's node shows
// under in `semaflow nodes` and the metrics.
func addNodeNameFlag(cmd *cobra.Command, name *string) {
	cmd.Flags().StringVar(name, "node-name", "",
		"name of this engine's node, a DNS-1123 label of at most 63 bytes (default: this host's name, lower-cased, other characters as '-')")
}

// checkNodeName refuses a node name that is not a DNS-1123 label, naming
// the flag; empty (the host's name) passes.
func checkNodeName(name string) error {
	if name == "" {
		return nil
	}
	if err := app.CheckNodeName(name); err != nil {
		return fmt.Errorf("--node-name: %w", err)
	}
	return nil
}
