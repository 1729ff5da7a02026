package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

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
	root.AddCommand(submitCmd(getenv), listCmd(getenv), getCmd(getenv), logsCmd(getenv), waitCmd(getenv), watchCmd(getenv),
		deleteCmd(getenv),
		actionCmd(getenv, client.Stop, "Stop workflows: start nothing new, run exit handlers", "stopped"),
		actionCmd(getenv, client.Terminate, "Terminate workflows: kill their steps, skip exit handlers", "terminated"),
		actionCmd(getenv, client.Suspend, "Suspend workflows: start nothing new until resumed (running steps go on)", "suspended"),
		actionCmd(getenv, client.Resume, "Resume suspended workflows and complete their suspend steps", "resumed"),
		retryCmd(getenv),
		actionCmd(getenv, client.Resubmit, "Resubmit workflows: submit new ones with the same spec", "resubmitted"),
		applyCmd(getenv), templateCmd(getenv), cronCmd(getenv))
}

func submitCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var params []string
	var watch, noLint bool
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
			c := r.client()
			set, err := loadSetLint(cmd.ErrOrStderr(), args, r.namespace, &serverLookup{ctx: ctx, c: c}, serverLimits, noLint)
			if err != nil {
				return err
			}
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
			return watchAll(ctx, termOut(cmd.OutOrStdout()), c, r.namespace, names)
		},
	}
	r.flags(cmd)
	cmd.Flags().StringArrayVarP(&params, "parameter", "p", nil, "set a workflow argument: -p name=value")
	cmd.Flags().BoolVar(&watch, "watch", false, "wait for the workflows to end, printing phase changes, and exit 0 only if all Succeeded")
	cmd.Flags().Int32Var(&priority, "priority", 0, "set spec.priority")
	cmd.Flags().BoolVar(&noLint, "no-lint", false, "submit even when lint of the files together reports errors (the server still checks each workflow alone)")
	return cmd
}

func listCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var opts client.ListOptions
	var phases []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a namespace's workflows, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(phases) > 0 {
				sel := "workflows.argoproj.io/phase in (" + strings.Join(phases, ",") + ")"
				opts.LabelSelector = strings.TrimPrefix(opts.LabelSelector+","+sel, ",")
			}
			list, err := r.client().ListWorkflows(cmd.Context(), r.namespace, opts)
			if err != nil {
				return err
			}
			w := termOut(cmd.OutOrStdout())
			switch r.output {
			case "json", "yaml":
				return printAs(w, r.output, list.Items)
			case "name":
				for _, wf := range list.Items {
					fmt.Fprintln(w, wf.Metadata.Name)
				}
				return nil
			case "", "wide":
			default:
				return fmt.Errorf("-o %s: want json, yaml, wide or name", r.output)
			}
			wide := r.output == "wide"
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			header := "NAME\tSTATUS\tAGE\tDURATION\tPRIORITY\tMESSAGE"
			if wide {
				header += "\tPROGRESS\tLABELS"
			}
			fmt.Fprintln(tw, header)
			now := time.Now()
			for _, wf := range list.Items {
				age := ""
				if wf.Metadata.CreationTimestamp != nil {
					age = now.Sub(*wf.Metadata.CreationTimestamp).Round(time.Second).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s", wf.Metadata.Name, wf.Status.Phase, age,
					duration(wf.Status.StartedAt, wf.Status.FinishedAt, now), wf.Spec.GetPriority(), oneLine(wf.Status.Message))
				if wide {
					fmt.Fprintf(tw, "\t%s\t%s", wf.Status.Progress, labels(wf.Metadata.Labels))
				}
				fmt.Fprintln(tw)
			}
			if list.Metadata.Continue != "" {
				fmt.Fprintf(tw, "(more: --continue %s)\n", list.Metadata.Continue)
			}
			return tw.Flush()
		},
	}
	r.flags(cmd)
	f := cmd.Flags()
	f.StringVarP(&r.output, "output", "o", "", "json, yaml, wide or name")
	f.StringVarP(&opts.LabelSelector, "selector", "l", "", "label selector, e.g. team=a,tier in (x,y)")
	f.StringVar(&opts.FieldSelector, "field-selector", "", "field selector on metadata.name, metadata.namespace, status.phase")
	f.StringSliceVar(&phases, "status", nil, "only workflows in these phases (Running,Failed,...)")
	f.IntVar(&opts.Limit, "chunk-size", 0, "list at most this many (0: all); a continue token is printed when more remain")
	f.StringVar(&opts.Continue, "continue", "", "continue a chunked list")
	return cmd
}

func labels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// printAs prints v as JSON or YAML.
func printAs(w io.Writer, format string, v any) error {
	if format == "yaml" {
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return printJSON(w, v)
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
			w := termOut(cmd.OutOrStdout())
			switch r.output {
			case "json", "yaml":
				return printAs(w, r.output, wf)
			case "name":
				fmt.Fprintln(w, wf.Metadata.Name)
				return nil
			}
			writeTree(w, wf, wf.Status.Nodes, time.Now())
			return nil
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVarP(&r.output, "output", "o", "", "json, yaml or name")
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
