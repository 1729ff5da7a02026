package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/server"
)

// isolationFlags are --step-user and --private-tmp, shared by run and
// server (they differ in --step-user's default).
type isolationFlags struct {
	stepUser        string
	privateTmp      bool
	controlPriority bool
}

func (f *isolationFlags) add(cmd *cobra.Command, defaultUser string) {
	cmd.Flags().StringVar(&f.stepUser, "step-user", defaultUser,
		"as root, run steps as this user (a name or uid[:gid]), each in its own PID and mount namespace with its own /proc, "+
			"seeing of the data directory only its own directories; empty: steps run as semaflow's own user")
	cmd.Flags().BoolVar(&f.privateTmp, "private-tmp", true,
		"as root, give each step its own /tmp; false: steps share the host's /tmp, with TMPDIR set to their own directory")
	cmd.Flags().BoolVar(&f.controlPriority, "control-priority", true,
		fmt.Sprintf("as root (or with CAP_SYS_NICE), run the engine and its step supervisor at nice %d below semaflow's own, so that busy steps "+
			"do not delay lock handoffs and step starts; steps always run at semaflow's own nice. false: everything runs at semaflow's own", executor.ControlRaise))
}

// resolve turns the flags into the supervisor's Isolation; unconfined
// says why steps are not isolated ("" when they are). Without root a step
// user cannot be had: an explicit --step-user is then an error, the
// default one is dropped. A host that refuses the namespaces gets a
// warning and unconfined steps.
func (f *isolationFlags) resolve(cmd *cobra.Command, stderr io.Writer) (iso executor.Isolation, unconfined string, err error) {
	iso.SharedTmp = !f.privateTmp
	if f.controlPriority {
		// Not allowed (no root, no CAP_SYS_NICE): everything runs at
		// semaflow's own nice, as before; nothing to tell.
		if base, slice, slack, err := executor.RaiseControl(); err == nil {
			iso.StepNice, iso.StepSlice, iso.StepTimerSlack = &base, slice, slack
		}
	}
	switch {
	case f.stepUser == "":
		return iso, "--step-user is empty", nil
	case os.Geteuid() != 0:
		if cmd.Flags().Changed("step-user") {
			return iso, "", fmt.Errorf("--step-user %s: running steps as another user needs root", f.stepUser)
		}
		return iso, "semaflow does not run as root", nil
	}
	user, err := executor.LookupStepUser(f.stepUser)
	if err != nil {
		return iso, "", fmt.Errorf("--step-user: %w", err)
	}
	self, err := os.Executable()
	note := ""
	if err == nil {
		note, err = executor.CheckIsolation(self)
	}
	if note != "" {
		fmt.Fprintf(stderr, "semaflow: note: %s\n", note)
	}
	if err != nil {
		fmt.Fprintf(stderr, "semaflow: warning: steps run as uid %d, unconfined: %v\n", os.Geteuid(), err)
		return iso, err.Error(), nil
	}
	iso.User = user
	return iso, "", nil
}

// warnUnconfined tells the operator when the server's tokens protect less
// than they seem: scoped tokens with unconfined steps (a step can read
// the token file and the database as the server's user).
func warnUnconfined(stderr io.Writer, path string, tokens []server.Token, unconfined string) {
	scoped := 0
	for _, t := range tokens {
		if len(t.Namespaces) > 0 {
			scoped++
		}
	}
	if scoped > 0 && unconfined != "" {
		fmt.Fprintf(stderr, "semaflow server: warning: %d scoped token(s) in %s, but steps are not isolated (%s): "+
			"a step runs as uid %d and can read the server's environment, token file and database, "+
			"so a namespace-scoped token can become the admin's; run the server as root with --step-user\n",
			scoped, path, unconfined, os.Geteuid())
	}
}
