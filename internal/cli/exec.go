package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/executor"
)

func newExecCmd() *cobra.Command {
	var serve bool
	cmd := &cobra.Command{
		Use:    "exec --serve",
		Short:  "Supervise steps for an engine (started by the engine, not by people)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !serve {
				return errors.New("exec is started by the engine as `semaflow exec --serve`")
			}
			return executor.Serve(os.Stdin, os.Stdout)
		},
	}
	cmd.Flags().BoolVar(&serve, "serve", false, "read step requests on stdin, report on stdout")
	return cmd
}
