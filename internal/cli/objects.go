package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
)

// applyDocs sends every ConfigMap, template and CronWorkflow of the files
// to the server; create refuses names already taken.
func applyDocs(cmd *cobra.Command, r *remote, files []string, create bool, only string) error {
	c := r.client()
	ctx := cmd.Context()
	set, err := loadSet(cmd.ErrOrStderr(), files, r.namespace, &serverLookup{ctx: ctx, c: c}, serverLimits)
	if err != nil {
		return err
	}
	// Every document is checked before any is applied: a file apply
	// cannot take in full is refused whole, not half applied.
	for _, f := range set.Files {
		for _, d := range f.Docs {
			cluster := only == wfv1.KindWorkflowTemplate && d.Kind == wfv1.KindClusterWorkflowTemplate
			switch {
			case only != "" && d.Kind != only && !cluster:
				return fmt.Errorf("%s: %s %s: this command takes %ss: nothing was applied", d.File, d.Kind, d.Name, only)
			case d.ConfigMap == nil && d.Template == nil && d.Cron == nil:
				return fmt.Errorf("%s: %s %s: apply takes ConfigMaps, WorkflowTemplates, ClusterWorkflowTemplates and CronWorkflows: nothing was applied "+
					"(submit the file with `semaflow submit`, which applies its ConfigMaps first)", d.File, d.Kind, d.Name)
			}
		}
	}
	w := cmd.OutOrStdout()
	for _, f := range set.Files {
		for _, d := range f.Docs {
			switch {
			case d.ConfigMap != nil:
				if err := applyConfigMap(ctx, cmd.ErrOrStderr(), c, d.File, d.ConfigMap); err != nil {
					return err
				}
			case d.Template != nil && create:
				err = c.CreateTemplate(ctx, d.Template)
			case d.Template != nil:
				err = c.ApplyTemplate(ctx, d.Template)
			case d.Cron != nil:
				_, err = c.ApplyCron(ctx, d.Cron)
			}
			if err != nil {
				return fmt.Errorf("%s: %s %s: %w", d.File, d.Kind, d.Name, err)
			}
			fmt.Fprintf(w, "%s/%s applied\n", d.Kind, d.Name)
		}
	}
	return nil
}

func applyCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE...",
		Short: "Apply ConfigMaps, WorkflowTemplates and CronWorkflows to a server (a changed limit applies at once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return fmt.Errorf("give the files to apply with -f")
			}
			return applyDocs(cmd, r, files, false, "")
		},
	}
	r.flags(cmd)
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file or directory to apply (repeatable)")
	return cmd
}

// objectCmd is `template` or `cron`: create, list, get, delete, lint.
func objectCmd(getenv func(string) string, use, kind string, kinds []client.ObjectKind) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: "Manage " + kind + "s on a server"}
	r := &remote{getenv: getenv}
	create := &cobra.Command{
		Use: "create FILE...", Short: "Create " + kind + "s (a name already taken is an error)", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return applyDocs(cmd, r, args, true, kind) },
	}
	r.flags(create)
	lint := newLintCmd()
	lint.Short = "Check " + kind + " files locally, as lint does"
	list := &cobra.Command{
		Use: "list", Short: "List " + kind + "s", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var all []json.RawMessage
			for _, k := range kinds {
				items, err := r.client().ListObjects(cmd.Context(), k, r.namespace)
				if err != nil {
					return err
				}
				all = append(all, items...)
			}
			return printObjects(termOut(cmd.OutOrStdout()), r.output, all)
		},
	}
	r.flags(list)
	list.Flags().StringVarP(&r.output, "output", "o", "", "json, yaml or name")
	get := &cobra.Command{
		Use: "get NAME", Short: "Show a " + kind, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var obj map[string]any
			err := r.client().GetObject(cmd.Context(), kinds[0], r.namespace, args[0], &obj)
			if client.NotFound(err) && len(kinds) > 1 {
				err = r.client().GetObject(cmd.Context(), kinds[1], r.namespace, args[0], &obj)
			}
			if err != nil {
				return err
			}
			format := r.output
			if format == "" {
				format = "yaml"
			}
			return printAs(cmd.OutOrStdout(), format, obj)
		},
	}
	r.flags(get)
	get.Flags().StringVarP(&r.output, "output", "o", "", "json or yaml (default)")
	del := &cobra.Command{
		Use: "delete NAME...", Short: "Delete " + kind + "s", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range args {
				err := r.client().DeleteObject(cmd.Context(), kinds[0], r.namespace, name)
				if client.NotFound(err) && len(kinds) > 1 {
					err = r.client().DeleteObject(cmd.Context(), kinds[1], r.namespace, name)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s deleted\n", name)
			}
			return nil
		},
	}
	r.flags(del)
	cmd.AddCommand(create, lint, list, get, del)
	return cmd
}

// printObjects prints stored objects as a table of names and kinds, or
// as JSON/YAML.
func printObjects(w io.Writer, format string, items []json.RawMessage) error {
	var objs []map[string]any
	for _, raw := range items {
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		objs = append(objs, o)
	}
	switch format {
	case "json", "yaml":
		return printAs(w, format, objs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if format != "name" {
		fmt.Fprintln(tw, "NAME\tKIND\tNAMESPACE")
	}
	for _, o := range objs {
		m, _ := o["metadata"].(map[string]any)
		if format == "name" {
			fmt.Fprintln(tw, m["name"])
			continue
		}
		fmt.Fprintf(tw, "%v\t%v\t%v\n", m["name"], o["kind"], m["namespace"])
	}
	return tw.Flush()
}

func templateCmd(getenv func(string) string) *cobra.Command {
	return objectCmd(getenv, "template", wfv1.KindWorkflowTemplate, []client.ObjectKind{client.Templates, client.ClusterTemplates})
}

func cronCmd(getenv func(string) string) *cobra.Command {
	cmd := objectCmd(getenv, "cron", wfv1.KindCronWorkflow, []client.ObjectKind{client.CronWorkflows})
	for _, suspend := range []bool{true, false} {
		r := &remote{getenv: getenv}
		use, short := "resume NAME...", "Resume CronWorkflows' schedules (runs due meanwhile are not replayed)"
		if suspend {
			use, short = "suspend NAME...", "Suspend CronWorkflows' schedules"
		}
		sub := &cobra.Command{
			Use: use, Short: short, Args: cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				for _, name := range args {
					if err := r.client().SuspendCron(cmd.Context(), r.namespace, name, suspend); err != nil {
						return fmt.Errorf("%s: %w", name, err)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s %sed\n", name, map[bool]string{true: "suspend", false: "resum"}[suspend])
				}
				return nil
			},
		}
		r.flags(sub)
		cmd.AddCommand(sub)
	}
	return cmd
}
