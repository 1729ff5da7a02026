package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/client"
)

// archiveCmd is `semaflow archive`, shaped like `argo archive`: the
// workflows the server archived when they ended, kept after they are
// deleted.
func archiveCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive",
		Short: "List, show, delete and resubmit archived workflows (kept after they are deleted)",
		Long: "A server archives every workflow when it ends; the archived copy stays after the workflow is deleted\n" +
			"(by `semaflow delete` or its ttlStrategy), until `semaflow archive delete` or the server's --archive-ttl.\n" +
			"A workflow is named by its UID, or by its name when one archived workflow has it.",
	}
	cmd.AddCommand(archiveListCmd(getenv), archiveGetCmd(getenv), archiveDeleteCmd(getenv), archiveResubmitCmd(getenv), archiveRetryCmd(getenv))
	return cmd
}

func archiveListCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var o client.ArchiveListOptions
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List archived workflows, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch r.output {
			case "", "wide", "json", "yaml", "name":
			default:
				return fmt.Errorf("-o %s: want json, yaml, wide or name", r.output)
			}
			ns := r.namespace
			if all {
				ns = ""
			}
			c := r.client()
			var items []archivedRow
			var raw []any
			more := ""
			// Every page: each is bounded by the server, and pages are
			// counted so a server that never ends its list cannot loop.
			for page := 0; ; page++ {
				if page >= maxArchivePages {
					return fmt.Errorf("the archive list did not end after %d pages", maxArchivePages)
				}
				list, err := c.ListArchived(cmd.Context(), ns, o)
				if err != nil {
					return err
				}
				for i := range list.Items {
					wf := &list.Items[i]
					raw = append(raw, wf)
					items = append(items, archivedRow{wf.Metadata.Namespace, wf.Metadata.Name, wf.Metadata.UID, wf.Status.Phase,
						wf.Status.StartedAt, wf.Status.FinishedAt, labels(wf.Metadata.Labels)})
				}
				if list.Metadata.Continue == "" || o.Limit > 0 {
					more = list.Metadata.Continue
					break
				}
				o.Continue = list.Metadata.Continue
			}
			w := termOut(cmd.OutOrStdout())
			switch r.output {
			case "json", "yaml":
				if raw == nil {
					raw = []any{}
				}
				return printAs(w, r.output, raw)
			case "name":
				for _, it := range items {
					fmt.Fprintln(w, it.name)
				}
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			header := "NAMESPACE\tNAME\tSTATUS\tAGE\tDURATION\tUID"
			if r.output == "wide" {
				header += "\tLABELS"
			}
			fmt.Fprintln(tw, header)
			now := time.Now()
			for _, it := range items {
				age := ""
				if it.finished != nil {
					age = now.Sub(*it.finished).Round(time.Second).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s", it.namespace, it.name, it.phase, age, duration(it.started, it.finished, now), it.uid)
				if r.output == "wide" {
					fmt.Fprintf(tw, "\t%s", it.labels)
				}
				fmt.Fprintln(tw)
			}
			if more != "" {
				fmt.Fprintf(tw, "(more: --continue %s)\n", more)
			}
			return tw.Flush()
		},
	}
	r.flags(cmd)
	f := cmd.Flags()
	f.StringVarP(&r.output, "output", "o", "", "json, yaml, wide or name")
	f.BoolVarP(&all, "all-namespaces", "A", false, "every namespace's archived workflows")
	f.StringVarP(&o.LabelSelector, "selector", "l", "", "label selector (team=a,tier in (x,y),!legacy)")
	f.StringVar(&o.NamePrefix, "prefix", "", "only names that start with this")
	f.IntVar(&o.Limit, "chunk-size", 0, "list one page of this many (0: every page)")
	f.StringVar(&o.Continue, "continue", "", "the continue token a page of --chunk-size printed")
	return cmd
}

// maxArchivePages bounds how many pages archive list reads.
const maxArchivePages = 10000

type archivedRow struct {
	namespace, name, uid, phase string
	started, finished           *time.Time
	labels                      string
}

var uidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// archivedUID finds the UID an argument names: a UID as it is, a name
// when exactly one archived workflow of the namespace has it.
func archivedUID(cmd *cobra.Command, r *remote, arg string) (string, error) {
	if uidPattern.MatchString(arg) {
		return arg, nil
	}
	list, err := r.client().ListArchived(cmd.Context(), r.namespace,
		client.ArchiveListOptions{NamePrefix: arg, NameFilter: "Exact", ListOptions: client.ListOptions{Limit: 10}})
	if err != nil {
		return "", err
	}
	switch len(list.Items) {
	case 0:
		return "", fmt.Errorf("no archived workflow is named %s in namespace %s", arg, r.namespace)
	case 1:
		return list.Items[0].Metadata.UID, nil
	}
	var uids []string
	for _, wf := range list.Items {
		fin := ""
		if wf.Status.FinishedAt != nil {
			fin = ", finished " + wf.Status.FinishedAt.Format(time.RFC3339)
		}
		uids = append(uids, "  "+wf.Metadata.UID+fin)
	}
	return "", fmt.Errorf("several archived workflows are named %s: give one's UID:\n%s", arg, strings.Join(uids, "\n"))
}

func archiveGetCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "get UID|NAME",
		Short: "Show an archived workflow: its status and node tree",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			uid, err := archivedUID(cmd, r, args[0])
			if err != nil {
				return err
			}
			wf, err := r.client().GetArchived(cmd.Context(), uid)
			if err != nil {
				return err
			}
			return showWorkflow(cmd.OutOrStdout(), r.output, wf)
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVarP(&r.output, "output", "o", "", "json, yaml or name")
	return cmd
}

func archiveDeleteCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "delete UID|NAME...",
		Short: "Delete archived workflows (a live workflow of the same name is left alone)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				uid, err := archivedUID(cmd, r, a)
				if err == nil {
					err = r.client().DeleteArchived(cmd.Context(), uid)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", a, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "archived workflow %s deleted\n", a)
			}
			return nil
		},
	}
	r.flags(cmd)
	return cmd
}

func archiveResubmitCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var params []string
	var memoized bool
	cmd := &cobra.Command{
		Use:   "resubmit UID|NAME...",
		Short: "Submit new workflows with archived workflows' specs",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				uid, err := archivedUID(cmd, r, a)
				if err != nil {
					return fmt.Errorf("%s: %w", a, err)
				}
				wf, err := r.client().ResubmitArchived(cmd.Context(), uid, params, memoized)
				if err != nil {
					return fmt.Errorf("%s: %w", a, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "archived workflow %s resubmitted as %s\n", a, wf.Metadata.Name)
			}
			return nil
		},
	}
	r.flags(cmd)
	cmd.Flags().StringArrayVarP(&params, "parameter", "p", nil, "NAME=VALUE: replace an argument of the archived spec (repeatable)")
	cmd.Flags().BoolVar(&memoized, "memoized", false, "reuse the succeeded steps of a Failed or Errored workflow: the new one runs only the rest")
	return cmd
}

func archiveRetryCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var opts client.RetryOptions
	cmd := &cobra.Command{
		Use:   "retry UID|NAME...",
		Short: "Run failed archived workflows again under their names (when no live workflow has them)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				uid, err := archivedUID(cmd, r, a)
				if err != nil {
					return fmt.Errorf("%s: %w", a, err)
				}
				wf, err := r.client().RetryArchived(cmd.Context(), uid, opts)
				if err != nil {
					return fmt.Errorf("%s: %w", a, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "archived workflow %s retried as %s\n", a, wf.Metadata.Name)
			}
			return nil
		},
	}
	r.flags(cmd)
	cmd.Flags().BoolVar(&opts.RestartSuccessful, "restart-successful", false,
		"also run again the succeeded nodes --node-field-selector matches, and what ran after them")
	cmd.Flags().StringVar(&opts.NodeFieldSelector, "node-field-selector", "", "nodes to restart (as `semaflow retry`)")
	return cmd
}

// parseArchiveTTL reads --archive-ttl: a Go duration or a number of days
// ("7d"), as Argo's archiveTTL; "" or 0 keeps archived workflows.
func parseArchiveTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
		if err == nil && (n < 0 || n > 100*365) {
			err = fmt.Errorf("out of range")
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--archive-ttl %q: want a duration (72h) or days (7d), 0 to keep archived workflows", s)
	}
	return d, nil
}
