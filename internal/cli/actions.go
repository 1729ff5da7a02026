package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/client"
)

// completeNames completes workflow names from the server, for the shell
// completion cobra generates (`semaflow completion bash|zsh|fish`).
func (r *remote) completeNames(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	list, err := r.client().ListWorkflows(cmd.Context(), r.namespace, client.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, len(list.Items))
	for i, wf := range list.Items {
		names[i] = wf.Metadata.Name
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// nameCmd is a verb that acts on workflows by name, one after another.
func nameCmd(getenv func(string) string, use, short string, act func(c *client.Client, ctx context.Context, ns, name string) (string, error)) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   use + " NAME...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := r.client()
			for _, name := range args {
				real, err := resolveLatest(cmd, r, name)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				msg, err := act(c, cmd.Context(), r.namespace, real)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), msg)
			}
			return nil
		},
		ValidArgsFunction: r.completeNames,
	}
	r.flags(cmd)
	return cmd
}

// actionCmd is stop, terminate, suspend, resume, retry or resubmit.
func actionCmd(getenv func(string) string, action, short, done string) *cobra.Command {
	return nameCmd(getenv, action, short, func(c *client.Client, ctx context.Context, ns, name string) (string, error) {
		wf, err := c.Act(ctx, ns, name, action)
		if err != nil {
			return "", err
		}
		if action == client.Resubmit {
			return name + " resubmitted as " + wf.Metadata.Name, nil
		}
		return name + " " + done, nil
	})
}

// resubmitCmd is actionCmd's resubmit with argo resubmit's --memoized.
func resubmitCmd(getenv func(string) string) *cobra.Command {
	var memoized bool
	cmd := nameCmd(getenv, client.Resubmit, "Resubmit workflows: submit new ones with the same spec",
		func(c *client.Client, ctx context.Context, ns, name string) (string, error) {
			wf, err := c.ResubmitWorkflow(ctx, ns, name, memoized)
			if err != nil {
				return "", err
			}
			return name + " resubmitted as " + wf.Metadata.Name, nil
		})
	cmd.Flags().BoolVar(&memoized, "memoized", false,
		"reuse the succeeded steps of a Failed or Errored workflow: the new one runs only the rest")
	return cmd
}

// retryCmd is actionCmd's retry with argo retry's two options.
func retryCmd(getenv func(string) string) *cobra.Command {
	var opts client.RetryOptions
	cmd := nameCmd(getenv, "retry", "Retry failed workflows: run what failed again, keep what succeeded",
		func(c *client.Client, ctx context.Context, ns, name string) (string, error) {
			if _, err := c.RetryWorkflow(ctx, ns, name, opts); err != nil {
				return "", err
			}
			return name + " retried", nil
		})
	cmd.Flags().BoolVar(&opts.RestartSuccessful, "restart-successful", false,
		"also run again the succeeded nodes --node-field-selector matches, and what ran after them")
	cmd.Flags().StringVar(&opts.NodeFieldSelector, "node-field-selector", "",
		"nodes to restart: displayName, name, id, phase, templateName, templateRef.name, templateRef.template or inputs.parameters.NAME.value, with = or !=, comma-separated")
	return cmd
}
