package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
)

// endedPhases are the phases `--completed` means, as in argo.
var endedPhases = []string{wfv1.PhaseSucceeded, wfv1.PhaseFailed, wfv1.PhaseError}

type listFlags struct {
	opts               client.ListOptions
	phases             []string
	all                bool
	running, completed bool
	since, older       time.Duration
}

// selector adds --status, --running and --completed to the label
// selector, as the phase label the server keeps.
func (l *listFlags) selector() string {
	phases := l.phases
	if l.running {
		phases = append(phases, wfv1.PhaseRunning)
	}
	if l.completed {
		phases = append(phases, endedPhases...)
	}
	sel := l.opts.LabelSelector
	if len(phases) > 0 {
		sel = strings.TrimPrefix(sel+",workflows.argoproj.io/phase in ("+strings.Join(phases, ",")+")", ",")
	}
	return sel
}

// keep says whether a workflow is within --since and --older.
func (l *listFlags) keep(wf *wfv1.Workflow, now time.Time) bool {
	at := wf.Metadata.CreationTimestamp
	if at == nil {
		return l.since == 0 && l.older == 0
	}
	return (l.since == 0 || now.Sub(*at) <= l.since) && (l.older == 0 || now.Sub(*at) > l.older)
}

func (l *listFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVarP(&l.all, "all-namespaces", "A", false, "list the workflows of every namespace")
	f.BoolVar(&l.running, "running", false, "only running workflows")
	f.BoolVar(&l.completed, "completed", false, "only workflows that ended (Succeeded, Failed, Error)")
	f.DurationVar(&l.since, "since", 0, "only workflows created within this long, e.g. 1h")
	f.DurationVar(&l.older, "older", 0, "only workflows created longer ago than this, e.g. 24h")
	f.StringVarP(&l.opts.LabelSelector, "selector", "l", "", "label selector, e.g. team=a,tier in (x,y)")
	f.StringSliceVar(&l.phases, "status", nil, "only workflows in these phases (Running,Failed,...)")
}

// list lists the workflows the flags select, in one namespace or all.
func (l *listFlags) list(cmd *cobra.Command, r *remote) (*client.WorkflowList, error) {
	if l.running && l.completed {
		return nil, fmt.Errorf("--running and --completed exclude each other")
	}
	if l.since < 0 || l.older < 0 {
		return nil, fmt.Errorf("--since %s / --older %s: an age is not negative: --since 5m lists those created in the last 5 minutes", l.since, l.older)
	}
	opts := l.opts
	opts.LabelSelector = l.selector()
	ns := r.namespace
	if l.all {
		ns = ""
	}
	list, err := r.client().ListWorkflows(cmd.Context(), ns, opts)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	kept := list.Items[:0]
	for _, wf := range list.Items {
		if l.keep(&wf, now) {
			kept = append(kept, wf)
		}
	}
	list.Items = kept
	return list, nil
}

func listCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	l := &listFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a namespace's workflows (-A: every namespace's), newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch r.output {
			case "", "wide", "json", "yaml", "name":
			default:
				return fmt.Errorf("-o %s: want json, yaml, wide or name", r.output)
			}
			list, err := l.list(cmd, r)
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
			}
			wide := r.output == "wide"
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			header := "NAME\tSTATUS\tAGE\tDURATION\tPRIORITY\tMESSAGE"
			if l.all {
				header = "NAMESPACE\t" + header
			}
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
				if l.all {
					fmt.Fprintf(tw, "%s\t", wf.Metadata.Namespace)
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
	l.add(cmd)
	f := cmd.Flags()
	f.StringVarP(&r.output, "output", "o", "", "json, yaml, wide or name")
	f.StringVar(&l.opts.FieldSelector, "field-selector", "", "field selector on metadata.name, metadata.namespace, status.phase")
	f.IntVar(&l.opts.Limit, "chunk-size", 0, "list at most this many (0: all); a continue token is printed when more remain")
	f.StringVar(&l.opts.Continue, "continue", "", "continue a chunked list")
	return cmd
}
