package cli

import (
	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/executor"
)

func newExecCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "exec DIR",
		Short:  "Supervise one step (used by the engine, not by people)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return executor.Supervise(args[0])
		},
	}
}
