package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/containerset"
)

// newContainerSetCmd is the program a containerSet step runs (hidden: the
// engine starts it, with the plan it wrote as the step's script).
func newContainerSetCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "containerset PLAN",
		Short:  "run the containers of an Argo containerSet as processes of one step",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var p containerset.Plan
			if err := json.Unmarshal(b, &p); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			os.Exit(containerset.Run(p, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
}
