package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/server"
)

func versionCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var short bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print semaflow's version, and the server's when one is named (--server, $SEMAFLOW_SERVER)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			if short {
				fmt.Fprintln(w, server.Version)
				return nil
			}
			fmt.Fprintf(w, "semaflow: %s\n", server.Version)
			if r.server == "" && getenv("SEMAFLOW_SERVER") == "" {
				return nil
			}
			v, err := r.client().Version(cmd.Context())
			if err != nil {
				return fmt.Errorf("server: %w", err)
			}
			fmt.Fprintf(termOut(w), "server:   %s\n", v)
			return nil
		},
	}
	cmd.Flags().StringVar(&r.server, "server", "", "also ask this semaflow server its version (default $SEMAFLOW_SERVER)")
	cmd.Flags().BoolVar(&short, "short", false, "print only the version")
	return cmd
}
