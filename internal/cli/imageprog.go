package cli

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/imageprog"
)

// newImageProgCmds are the programs that stand in for an image's own
// (internal/imageprog). Hidden: steps reach them through the image
// table, or as /argosay. Flags are theirs, not cobra's.
func newImageProgCmds() []*cobra.Command {
	argosay := &cobra.Command{
		Use:                "argosay [VERB ARGS...]",
		Short:              "Argo's argosay test program (argoproj/argosay:v2's /argosay)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			os.Exit(imageprog.Argosay(args, cmd.OutOrStdout(), cmd.ErrOrStderr()))
			return nil
		},
	}
	cowsay := &cobra.Command{
		Use:                "cowsay [MESSAGE...]",
		Short:              "a cow saying MESSAGE (or stdin), for images whose command is cowsay",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			os.Exit(imageprog.Cowsay(args, cmd.InOrStdin(), cmd.OutOrStdout()))
			return nil
		},
	}
	return []*cobra.Command{argosay, cowsay}
}

// Args are the CLI arguments for a process started as argv: the binary
// reached under the name of a program it serves (the /argosay a step's
// shell calls, cowsay on a step's PATH) runs that program.
func Args(argv []string) []string {
	if len(argv) == 0 {
		return nil
	}
	if name := filepath.Base(argv[0]); name == "argosay" || name == "cowsay" {
		return append([]string{name}, argv[1:]...)
	}
	return argv[1:]
}
