package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func deleteCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	l := &listFlags{}
	var all bool
	cmd := &cobra.Command{
		Use:   "delete NAME... | delete --all | delete --completed",
		Short: "Delete workflows (running ones are terminated first)",
		Long: "delete deletes the named workflows, or those the flags select in the namespace (-n) or in every\n" +
			"namespace (-A): --all, --completed, --running, --status, --since, --older, -l. A running workflow is\n" +
			"terminated first.",
		RunE: func(cmd *cobra.Command, args []string) error {
			selects := all || l.completed || l.running || l.all || len(l.phases) > 0 || l.since > 0 || l.older > 0 || l.opts.LabelSelector != ""
			switch {
			case len(args) > 0 && selects:
				return fmt.Errorf("give workflow names or selecting flags (--all, --completed, ...), not both")
			case len(args) == 0 && !selects:
				return fmt.Errorf("give the workflows to delete, or --all (every workflow in namespace %s) or --completed", r.namespace)
			}
			c := r.client()
			w := cmd.OutOrStdout()
			if len(args) > 0 {
				for _, name := range args {
					real, err := resolveLatest(cmd, r, name)
					if err == nil {
						err = c.DeleteWorkflow(cmd.Context(), r.namespace, real)
					}
					if err != nil {
						return fmt.Errorf("%s: %w", name, err)
					}
					fmt.Fprintf(w, "%s deleted\n", real)
				}
				return nil
			}
			list, err := l.list(cmd, r)
			if err != nil {
				return err
			}
			for _, wf := range list.Items {
				if err := c.DeleteWorkflow(cmd.Context(), wf.Metadata.Namespace, wf.Metadata.Name); err != nil {
					return fmt.Errorf("%s/%s: %w", wf.Metadata.Namespace, wf.Metadata.Name, err)
				}
				fmt.Fprintf(w, "%s deleted\n", wf.Metadata.Name)
			}
			if len(list.Items) == 0 {
				fmt.Fprintln(w, "no workflows matched: nothing deleted")
			}
			return nil
		},
		ValidArgsFunction: r.completeNames,
	}
	r.flags(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "delete every workflow of the namespace (with -A: of every namespace)")
	l.add(cmd)
	return cmd
}

// resolveLatest turns @latest into the namespace's newest workflow's
// name, so what is printed names the workflow acted on.
func resolveLatest(cmd *cobra.Command, r *remote, name string) (string, error) {
	if name != "@latest" {
		return name, nil
	}
	wf, err := r.client().GetWorkflow(cmd.Context(), r.namespace, name)
	if err != nil {
		return "", err
	}
	return wf.Metadata.Name, nil
}
