package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/podrun"
)

// newPodCmd is the program of a step with initContainers or sidecars
// (hidden: the supervisor starts it). Its arguments are the
// supervisor's, not a user's: `--message-fd FD PLAN -- MAIN...` (FD: the
// supervisor's pipe for the runner's message); main's
// own flags follow `--` untouched, so cobra parses none.
func newPodCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "pod --message-fd FD PLAN -- MAIN...",
		Short:              "run a step's initContainers and sidecars around its main container",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 5 || args[0] != "--message-fd" || args[3] != "--" {
				return errors.New("usage: semaflow pod --message-fd FD PLAN -- MAIN")
			}
			fd, err := strconv.Atoi(args[1])
			if err != nil {
				return fmt.Errorf("--message-fd %q: %w", args[1], err)
			}
			msg, err := podrun.MessageFile(fd)
			if err != nil {
				return err
			}
			var p podrun.Plan
			if err := json.Unmarshal([]byte(args[2]), &p); err != nil {
				return fmt.Errorf("the pod plan: %w", err)
			}
			os.Exit(podrun.Run(p, args[4:], msg, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
}
