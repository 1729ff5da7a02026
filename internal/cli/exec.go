package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/stepinit"
)

func newExecCmd() *cobra.Command {
	var (
		serve, privateTmp  bool
		stepUser, dataRoot string
		initConfig         string
		stepNice           int
		stepSlice          uint64
		stepTimerSlack     uint64
	)
	cmd := &cobra.Command{
		Use:    "exec --serve",
		Short:  "Supervise steps for an engine (started by the engine, not by people)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if initConfig != "" {
				// The step init: on success the step replaces this process.
				os.Exit(stepinit.Main(initConfig))
			}
			if !serve {
				return errors.New("exec is started by the engine as `semaflow exec --serve`")
			}
			user, err := executor.LookupStepUser(stepUser)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("step-nice") {
				if err := executor.SetStepNice(stepNice, stepSlice, stepTimerSlack); err != nil {
					return err
				}
			}
			return executor.ServeIsolated(os.Stdin, os.Stdout,
				executor.Isolation{SharedTmp: !privateTmp, User: user, DataRoot: dataRoot})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&serve, "serve", false, "read step requests on stdin, report on stdout")
	f.BoolVar(&privateTmp, "private-tmp", true, "give each step its own /tmp (as root)")
	f.StringVar(&stepUser, "step-user", "", "run steps as this uid:gid, each in its own PID namespace (root only)")
	f.StringVar(&dataRoot, "data-root", "", "the data directory, hidden from steps run as --step-user")
	f.IntVar(&stepNice, "step-nice", 0, "start steps at this nice value, this supervisor running raised (the engine's --control-priority)")
	f.Uint64Var(&stepSlice, "step-slice", 0, "with --step-nice, start steps with this scheduler slice in ns (0: the kernel's default)")
	f.Uint64Var(&stepTimerSlack, "step-timer-slack", 0, "with --step-nice, start steps with this timer slack in ns (0: this supervisor's)")
	f.StringVar(&initConfig, "init", "", "start one step in its new namespaces (internal)")
	return cmd
}
