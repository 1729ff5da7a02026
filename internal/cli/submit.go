package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
)

type submitOptions struct {
	params               []string
	watch, wait, log     bool
	noLint               bool
	priority             int32
	output, from         string
	name, generateName   string
	entrypoint, selector string
}

func submitCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	o := &submitOptions{}
	cmd := &cobra.Command{
		Use:   "submit FILE... | submit --from KIND/NAME",
		Short: "Submit workflows to a server (ConfigMaps in the files are applied first)",
		Long: "submit sends the Workflows of the files to a server, after the ConfigMaps in them, or makes one\n" +
			"from a stored WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow (--from).",
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.from == "" && len(args) == 0:
				return fmt.Errorf("give the files to submit, or --from workflowtemplate/NAME")
			case o.from != "" && len(args) > 0:
				return fmt.Errorf("--from %s takes no files (got %s)", o.from, strings.Join(args, ", "))
			case o.output != "" && o.output != "json" && o.output != "yaml" && o.output != "name":
				return fmt.Errorf("-o %s: want json, yaml or name", o.output)
			}
			var subs []*wfv1.Workflow
			var err error
			if o.from != "" {
				subs, err = submitFrom(cmd, r, o)
			} else {
				subs, err = submitFiles(cmd, r, o, args)
			}
			if err != nil {
				return err
			}
			if err := printSubmitted(cmd.OutOrStdout(), o.output, subs); err != nil {
				return err
			}
			return followSubmitted(cmd, r, o, subs)
		},
	}
	r.flags(cmd)
	f := cmd.Flags()
	f.StringArrayVarP(&o.params, "parameter", "p", nil, "set a workflow argument: -p name=value")
	f.BoolVar(&o.watch, "watch", false, "wait for the workflows to end, printing phase changes, and exit 0 only if all Succeeded")
	f.BoolVarP(&o.wait, "wait", "w", false, "wait for the workflows to end, print how each ended, and exit 0 only if all Succeeded")
	f.BoolVar(&o.log, "log", false, "print the workflows' step logs as they are written, until they end; exit 0 only if all Succeeded")
	f.Int32Var(&o.priority, "priority", 0, "set spec.priority")
	f.StringVarP(&o.output, "output", "o", "", "print the submitted workflows as json, yaml or name")
	f.StringVar(&o.from, "from", "", "submit from a stored object: workflowtemplate/NAME, clusterworkflowtemplate/NAME or cronwf/NAME")
	f.StringVar(&o.name, "name", "", "with --from: the workflow's name")
	f.StringVar(&o.generateName, "generate-name", "", "with --from: the workflow's generateName")
	f.StringVar(&o.entrypoint, "entrypoint", "", "with --from: the template to start at")
	f.StringVarP(&o.selector, "labels", "l", "", "with --from: labels to add, name=value,...")
	f.BoolVar(&o.noLint, "no-lint", false, "submit even when lint of the files together reports errors (the server still checks each workflow alone)")
	return cmd
}

// submitFiles applies the files' ConfigMaps, then submits their Workflows.
func submitFiles(cmd *cobra.Command, r *remote, o *submitOptions, args []string) ([]*wfv1.Workflow, error) {
	for flag, v := range map[string]string{"name": o.name, "generate-name": o.generateName, "entrypoint": o.entrypoint, "labels": o.selector} {
		if v != "" {
			return nil, fmt.Errorf("--%s is for --from; set it in the file", flag)
		}
	}
	ctx := cmd.Context()
	kv, err := parseParams(o.params)
	if err != nil {
		return nil, err
	}
	c := r.client()
	set, err := loadSetFor(cmd.ErrOrStderr(), args, r.namespace, &serverLookup{ctx: ctx, c: c}, serverLimits, o.noLint, "submitted")
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, f := range set.Files {
		for _, d := range f.Docs {
			if d.ConfigMap != nil {
				if err := applyConfigMap(ctx, cmd.ErrOrStderr(), c, d.File, d.ConfigMap); err != nil {
					return nil, err
				}
				applied = append(applied, d.ConfigMap.Metadata.Name)
			}
		}
	}
	var subs []*wfv1.Workflow
	for _, f := range set.Files {
		for _, d := range f.Docs {
			if d.Workflow == nil {
				continue
			}
			wf := d.Workflow
			if err := setParams(wf, kv); err != nil {
				return nil, err
			}
			if cmd.Flags().Changed("priority") {
				wf.Spec.Priority = &o.priority
			}
			sub, err := c.CreateWorkflow(ctx, wf.Metadata.Namespace, wf)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.File, err)
			}
			subs = append(subs, sub)
		}
	}
	if len(subs) == 0 {
		// Files of ConfigMaps alone: what was done is said. With
		// workflows, the output stays one line per workflow, for
		// scripts (and -o is for tools: then on stderr).
		w := cmd.OutOrStdout()
		if o.output != "" {
			w = cmd.ErrOrStderr()
		}
		for _, name := range applied {
			fmt.Fprintf(w, "ConfigMap/%s applied\n", name)
		}
	}
	return subs, nil
}

// submitFrom makes one workflow from a stored template or CronWorkflow.
func submitFrom(cmd *cobra.Command, r *remote, o *submitOptions) ([]*wfv1.Workflow, error) {
	kind, name, ok := strings.Cut(o.from, "/")
	if !ok || kind == "" || name == "" {
		return nil, fmt.Errorf("--from %q: want KIND/NAME, e.g. workflowtemplate/my-template, clusterworkflowtemplate/NAME or cronwf/NAME", o.from)
	}
	if _, err := parseParams(o.params); err != nil {
		return nil, err
	}
	opts := client.SubmitOptions{Name: o.name, GenerateName: o.generateName, Entrypoint: o.entrypoint,
		Parameters: o.params, Labels: o.selector}
	if cmd.Flags().Changed("priority") {
		opts.Priority = &o.priority
	}
	wf, err := r.client().SubmitFrom(cmd.Context(), r.namespace, kind, name, opts)
	if err != nil {
		return nil, fmt.Errorf("--from %s: %w", o.from, err)
	}
	return []*wfv1.Workflow{wf}, nil
}

func printSubmitted(w io.Writer, output string, subs []*wfv1.Workflow) error {
	switch output {
	case "json", "yaml":
		for i, wf := range subs {
			if output == "yaml" && i > 0 {
				fmt.Fprintln(w, "---")
			}
			if err := printAs(w, output, wf); err != nil {
				return err
			}
		}
	case "name":
		for _, wf := range subs {
			fmt.Fprintln(w, wf.Metadata.Name)
		}
	default:
		for _, wf := range subs {
			fmt.Fprintf(w, "%s submitted\n", wf.Metadata.Name)
		}
	}
	return nil
}

// followSubmitted does what --watch, --wait and --log ask: each waits for
// the workflows to end and fails unless all Succeeded.
func followSubmitted(cmd *cobra.Command, r *remote, o *submitOptions, subs []*wfv1.Workflow) error {
	ctx := cmd.Context()
	c := r.client()
	w := termOut(cmd.OutOrStdout())
	names := make([]string, len(subs))
	for i, wf := range subs {
		names[i] = wf.Metadata.Name
	}
	ns := r.namespace
	if len(subs) > 0 && subs[0].Metadata.Namespace != "" {
		ns = subs[0].Metadata.Namespace
	}
	logsDone := func() {}
	if o.log {
		logsDone = streamLogs(ctx, w, c, ns, names)
	}
	var err error
	switch {
	case o.watch:
		err = watchAll(ctx, w, c, ns, names)
	case o.wait || o.log:
		err = waitAll(ctx, w, c, ns, names, o.wait)
	}
	logsDone()
	return err
}

// waitAll follows each workflow until it ends; say prints how it ended.
func waitAll(ctx context.Context, w io.Writer, c *client.Client, ns string, names []string, say bool) error {
	failed := false
	for _, name := range names {
		wf, err := follow(ctx, c, ns, name, func(*wfv1.Workflow) {})
		if err != nil {
			return err
		}
		if say {
			fmt.Fprintf(w, "%s %s\n", wf.Metadata.Name, wf.Status.Phase)
		}
		failed = failed || wf.Status.Phase != wfv1.PhaseSucceeded
	}
	if failed {
		return errFailed
	}
	return nil
}

// streamLogs follows the logs of the workflows, each in its own stream,
// until they end; lines are printed whole, "pod: line" as `logs` does, by
// one writer, so no lock is held while the terminal takes them. The
// returned function waits until all is printed.
func streamLogs(ctx context.Context, w io.Writer, c *client.Client, ns string, names []string) func() {
	lines := make(chan string, 64)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Go(func() {
			err := c.Logs(ctx, ns, name, "", "", true, func(e client.LogEntry) error {
				select {
				case lines <- e.PodName + ": " + e.Content + "\n":
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err != nil && ctx.Err() == nil {
				lines <- fmt.Sprintf("logs of %s: %v\n", name, err)
			}
		})
	}
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for l := range lines {
			_, _ = io.WriteString(w, l)
		}
	}()
	return func() {
		wg.Wait()
		close(lines)
		<-printed
	}
}
