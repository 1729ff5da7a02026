package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
	"github.com/semaflow/semaflow/internal/spec"
)

// remote holds what every verb that talks to a server needs.
type remote struct {
	server, namespace, output string
	getenv                    func(string) string
}

func (r *remote) client() *client.Client {
	addr := r.server
	if addr == "" {
		addr = r.getenv("SEMAFLOW_SERVER")
	}
	if addr == "" {
		addr = "http://127.0.0.1:2746"
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return client.New(addr, r.getenv("SEMAFLOW_TOKEN"))
}

func (r *remote) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.server, "server", "", "semaflow server address (default $SEMAFLOW_SERVER, else http://127.0.0.1:2746)")
	cmd.Flags().StringVarP(&r.namespace, "namespace", "n", spec.DefaultNamespace, "namespace")
}

// addRemoteCmds adds the verbs that act on a server, shaped like argo's.
func addRemoteCmds(root *cobra.Command, getenv func(string) string) {
	root.AddCommand(submitCmd(getenv), listCmd(getenv), getCmd(getenv),
		nameCmd(getenv, "delete", "Delete workflows (running ones are terminated first)", (*client.Client).DeleteWorkflow, "deleted"),
		nameCmd(getenv, "stop", "Stop workflows: start nothing new, run exit handlers", (*client.Client).StopWorkflow, "stopped"),
		nameCmd(getenv, "terminate", "Terminate workflows: kill their steps, skip exit handlers", (*client.Client).TerminateWorkflow, "terminated"),
		applyCmd(getenv))
}

func submitCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var params []string
	var watch bool
	var priority int32
	cmd := &cobra.Command{
		Use:   "submit FILE...",
		Short: "Submit workflows to a server (ConfigMaps in the files are applied first)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			kv, err := parseParams(params)
			if err != nil {
				return err
			}
			set, err := loadSet(cmd.ErrOrStderr(), args, r.namespace)
			if err != nil {
				return err
			}
			c := r.client()
			var names []string
			for _, f := range set.Files {
				for _, d := range f.Docs {
					if d.ConfigMap != nil {
						if err := c.ApplyConfigMap(ctx, d.ConfigMap); err != nil {
							return fmt.Errorf("%s: ConfigMap %s: %w", d.File, d.Name, err)
						}
					}
				}
			}
			for _, f := range set.Files {
				for _, d := range f.Docs {
					if d.Workflow == nil {
						continue
					}
					wf := d.Workflow
					if err := setParams(wf, kv); err != nil {
						return err
					}
					if cmd.Flags().Changed("priority") {
						wf.Spec.Priority = &priority
					}
					sub, err := c.CreateWorkflow(ctx, wf.Metadata.Namespace, wf)
					if err != nil {
						return fmt.Errorf("%s: %w", d.File, err)
					}
					names = append(names, sub.Metadata.Name)
					fmt.Fprintf(cmd.OutOrStdout(), "%s submitted\n", sub.Metadata.Name)
				}
			}
			if !watch {
				return nil
			}
			return watchAll(ctx, cmd.OutOrStdout(), c, r.namespace, names)
		},
	}
	r.flags(cmd)
	cmd.Flags().StringArrayVarP(&params, "parameter", "p", nil, "set a workflow argument: -p name=value")
	cmd.Flags().BoolVar(&watch, "watch", false, "wait for the workflows to end, printing phase changes, and exit 0 only if all Succeeded")
	cmd.Flags().Int32Var(&priority, "priority", 0, "set spec.priority")
	return cmd
}

// watchAll follows workflows until they end; it fails unless all succeed.
func watchAll(ctx context.Context, w io.Writer, c *client.Client, ns string, names []string) error {
	last := map[string]string{}
	failed := false
	for _, name := range names {
		for {
			wf, err := c.GetWorkflow(ctx, ns, name)
			if err != nil {
				return err
			}
			if p := wf.Status.Phase; p != last[name] {
				last[name] = p
				msg := ""
				if wf.Status.Message != "" {
					msg = "  " + wf.Status.Message
				}
				fmt.Fprintf(w, "%s  %s  %s%s\n", time.Now().Format("15:04:05"), name, p, msg)
			}
			if p := wf.Status.Phase; p == wfv1.PhaseSucceeded || p == wfv1.PhaseFailed || p == wfv1.PhaseError {
				if p != wfv1.PhaseSucceeded {
					failed = true
				}
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

func listCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a namespace's workflows, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := r.client().ListWorkflows(cmd.Context(), r.namespace, 0, "")
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch r.output {
			case "json":
				return printJSON(w, list.Items)
			case "name":
				for _, wf := range list.Items {
					fmt.Fprintln(w, wf.Metadata.Name)
				}
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATUS\tAGE\tDURATION\tPRIORITY\tMESSAGE")
			now := time.Now()
			for _, wf := range list.Items {
				age := ""
				if wf.Metadata.CreationTimestamp != nil {
					age = now.Sub(*wf.Metadata.CreationTimestamp).Round(time.Second).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", wf.Metadata.Name, wf.Status.Phase, age,
					duration(wf.Status.StartedAt, wf.Status.FinishedAt, now), wf.Spec.GetPriority(), oneLine(wf.Status.Message))
			}
			return tw.Flush()
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVarP(&r.output, "output", "o", "", "json or name")
	return cmd
}

func getCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a workflow: its status and node tree",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wf, err := r.client().GetWorkflow(cmd.Context(), r.namespace, args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch r.output {
			case "json":
				return printJSON(w, wf)
			case "yaml":
				b, err := yaml.Marshal(wf)
				if err != nil {
					return err
				}
				_, err = w.Write(b)
				return err
			}
			writeTree(w, wf, wf.Status.Nodes, time.Now())
			return nil
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVarP(&r.output, "output", "o", "", "json or yaml")
	return cmd
}

// nameCmd is a verb that acts on workflows by name.
func nameCmd(getenv func(string) string, use, short string, act func(*client.Client, context.Context, string, string) error, done string) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   use + " NAME...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := r.client()
			for _, name := range args {
				if err := act(c, cmd.Context(), r.namespace, name); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", name, done)
			}
			return nil
		},
	}
	r.flags(cmd)
	return cmd
}

func applyCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE...",
		Short: "Apply ConfigMaps to a server (a changed semaphore limit applies at once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return fmt.Errorf("give the files to apply with -f")
			}
			set, err := loadSet(cmd.ErrOrStderr(), files, r.namespace)
			if err != nil {
				return err
			}
			c := r.client()
			for _, f := range set.Files {
				for _, d := range f.Docs {
					switch {
					case d.ConfigMap != nil:
						if err := c.ApplyConfigMap(cmd.Context(), d.ConfigMap); err != nil {
							return fmt.Errorf("%s: ConfigMap %s: %w", d.File, d.Name, err)
						}
						fmt.Fprintf(cmd.OutOrStdout(), "configmap/%s applied\n", d.Name)
					default:
						return fmt.Errorf("%s: %s %s: apply takes ConfigMaps for now (templates and cron workflows come with the server's next endpoints)", d.File, d.Kind, d.Name)
					}
				}
			}
			return nil
		},
	}
	r.flags(cmd)
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file or directory to apply (repeatable)")
	return cmd
}

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
