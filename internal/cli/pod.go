package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/podrun"
)

// newPodCmd is the program of a step with initContainers or sidecars
// (hidden: the supervisor starts it). Its arguments are the
// supervisor's, not a user's: `--message PATH PLAN -- MAIN...`; main's
// own flags follow `--` untouched, so cobra parses none.
func newPodCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "pod --message PATH PLAN -- MAIN...",
		Short:              "run a step's initContainers and sidecars around its main container",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 5 || args[0] != "--message" || args[3] != "--" {
				return errors.New("usage: semaflow pod --message PATH PLAN -- MAIN")
			}
			var p podrun.Plan
			if err := json.Unmarshal([]byte(args[2]), &p); err != nil {
				return fmt.Errorf("the pod plan: %w", err)
			}
			os.Exit(podrun.Run(p, args[4:], args[1], cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
}
