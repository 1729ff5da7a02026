// Package cli holds semaflow's command-line verbs, one file per verb.
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// errFailed means the command has already told the user what went wrong
// and only the exit code is left to set.
var errFailed = errors.New("failed")

// Execute runs the CLI with args and returns the process exit code.
func Execute(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRoot(getenv)
	width, _ := termSize(stdout)
	wrapHelp(root, width)
	root.SetArgs(numbersAsArgs(root, args))
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		if !errors.Is(err, errFailed) {
			fmt.Fprintln(stderr, "semaflow:", err)
		}
		return 1
	}
	return 0
}

func newRoot(getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:   "semaflow",
		Short: "Run Argo Workflows manifests on one machine, with first-class semaphores and mutexes",
		Long: "semaflow runs the Workflow, WorkflowTemplate and CronWorkflow manifests that Argo Workflows users\n" +
			"already write, as local processes, with semaphores and mutexes that never over-grant.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(suggestFlag)
	root.AddCommand(versionCmd(getenv), newLintCmd(), newRunCmd(), newExecCmd(), newSyncCmd(getenv), newServerCmd())
	addRemoteCmds(root, getenv)
	root.AddCommand(nodesCmd(getenv), newExplainCmd(getenv))
	root.AddCommand(newImageProgCmds()...)
	root.AddCommand(newContainerSetCmd())
	root.AddCommand(newPodCmd())
	root.AddCommand(newSimulateCmd())
	return root
}
