package cli

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/sim"
)

type simulateOptions struct {
	db         string
	sets       []string
	priorities []string
	output     string
}

func newSimulateCmd() *cobra.Command {
	o := &simulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate [LOAD.yaml]",
		Short: "Replay a recorded run, or a load description, through the lock queues on a virtual clock",
		Long: "simulate replays the runs a database recorded (--db, a SQLite file or a postgres:// URL, read only) or\n" +
			"a load description in YAML (see the README), through semaflow's own wait queues and grant rule, on a\n" +
			"virtual clock: it takes no time and runs nothing. --set LOCK=N changes a lock's limit and --priority\n" +
			"KIND=P a kind of workflow's priority for the run, to answer \"what if\". It prints, per lock, the wait\n" +
			"p50/p95 of granted requests, utilisation (permit time held ÷ limit × span), the longest queue, and when\n" +
			"everything is done; from a database, what was recorded beside it. The same input gives the same output.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSimulate(cmd, args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.db, "db", "", "replay the runs recorded in this database (a SQLite file or a postgres:// URL; read only)")
	f.StringArrayVar(&o.sets, "set", nil, "change a lock's limit for the run: --set LOCK=N, LOCK its key or name (repeatable)")
	f.StringArrayVar(&o.priorities, "priority", nil, "change the priority of a kind of workflow (its generateName or name): --priority KIND=P (repeatable)")
	f.StringVarP(&o.output, "output", "o", "", "json or yaml instead of a table")
	return cmd
}

func runSimulate(cmd *cobra.Command, args []string, o *simulateOptions) error {
	switch o.output {
	case "", "json", "yaml":
	default:
		return fmt.Errorf("-o %s: want json or yaml", o.output)
	}
	if (len(args) == 1) == (o.db != "") {
		return fmt.Errorf("give a load description (LOAD.yaml) or --db, one of the two")
	}
	var sc sim.Scenario
	var rec *sim.Recording
	source := ""
	if o.db != "" {
		recs, limits, err := app.History(cmd.Context(), o.db)
		if err != nil {
			return err
		}
		s, r, err := sim.FromHistory(recs, limits)
		if err != nil {
			return fmt.Errorf("%s: %w", o.db, err)
		}
		sc, rec, source = s, &r, "the runs recorded in "+o.db
	} else {
		data, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		if sc, err = sim.ParseLoad(args[0], data); err != nil {
			return err
		}
		source = args[0]
	}
	if err := applyChanges(&sc, o); err != nil {
		return err
	}
	res, err := sim.Run(sc)
	if err != nil {
		return fmt.Errorf("%s: %w", strings.TrimPrefix(source, "the runs recorded in "), err)
	}
	var changes []string
	for _, s := range o.sets {
		changes = append(changes, "--set "+s)
	}
	for _, p := range o.priorities {
		changes = append(changes, "--priority "+p)
	}
	out := simReport(source, changes, res, rec)
	w := termOut(cmd.OutOrStdout())
	if o.output != "" {
		return printAs(w, o.output, out)
	}
	return writeSimReport(w, out)
}

func applyChanges(sc *sim.Scenario, o *simulateOptions) error {
	for _, s := range o.sets {
		name, v, ok := strings.Cut(s, "=")
		n, err := strconv.Atoi(v)
		if !ok || name == "" || err != nil {
			return fmt.Errorf("--set %s: want LOCK=N, N a whole number", s)
		}
		if err := sc.SetLimit(name, n); err != nil {
			return err
		}
	}
	for _, s := range o.priorities {
		kind, v, ok := strings.Cut(s, "=")
		p, err := strconv.ParseInt(v, 10, 32)
		if !ok || kind == "" || err != nil {
			return fmt.Errorf("--priority %s: want KIND=P, P a 32-bit whole number", s)
		}
		if err := sc.SetPriority(kind, int32(p)); err != nil {
			return err
		}
	}
	return nil
}

// simOutput is simulate's report; times are seconds from the first
// arrival.
type simOutput struct {
	Source     string        `json:"source"`
	Changes    []string      `json:"changes,omitempty"`
	Done       float64       `json:"doneSeconds"`
	Locks      []simLock     `json:"locks"`
	Workflows  []simWorkflow `json:"workflows"` // in start order
	Unfinished []string      `json:"unfinished,omitempty"`
	Blocked    []simBlocked  `json:"blocked,omitempty"`
	Recorded   *simRecorded  `json:"recorded,omitempty"`
}

// simBlocked is a lock the unfinished wait for for ever.
type simBlocked struct {
	Key     string   `json:"key"`
	Limit   int      `json:"limit"`
	Waiting []string `json:"waiting"`
	Holders []string `json:"holders,omitempty"`
}

type simLock struct {
	Key         string  `json:"key"`
	Limit       int     `json:"limit"`
	Grants      int     `json:"grants"`
	WaitP50     float64 `json:"waitP50Seconds"`
	WaitP95     float64 `json:"waitP95Seconds"`
	WaitMax     float64 `json:"waitMaxSeconds"`
	Utilisation float64 `json:"utilisation"`
	MaxQueue    int     `json:"maxQueue"`
	MaxHeld     int     `json:"maxHeld"`
}

type simWorkflow struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Priority   int32    `json:"priority"`
	Arrived    float64  `json:"arrivedSeconds"`
	Started    float64  `json:"startedSeconds"`
	Finished   *float64 `json:"finishedSeconds,omitempty"`
	Unfinished bool     `json:"unfinished,omitempty"`
	// NeverStarted: it never got a lock; Started is then its arrival.
	NeverStarted bool `json:"neverStarted,omitempty"`
}

// simRecorded is what the recorded run did, measured the same way.
type simRecorded struct {
	Done      float64       `json:"doneSeconds"`
	Workflows []simWorkflow `json:"workflows"` // in start order
}

// secs is d in seconds, to the millisecond (1.636, not 1.6360000000000001).
func secs(d time.Duration) float64 { return float64(d.Round(time.Millisecond).Milliseconds()) / 1000 }

func simWorkflows(ws []sim.WorkflowResult, zero time.Duration) []simWorkflow {
	out := make([]simWorkflow, len(ws))
	for i, w := range ws {
		out[i] = simWorkflow{Name: w.Name, Kind: w.Kind, Priority: w.Priority, Arrived: secs(w.Arrived - zero),
			Started: secs(w.Started - zero), Unfinished: w.Unfinished, NeverStarted: w.NeverStarted}
		if !w.Unfinished {
			f := secs(w.Finished - zero)
			out[i].Finished = &f
		}
	}
	return out
}

func simReport(source string, changes []string, res *sim.Result, rec *sim.Recording) simOutput {
	out := simOutput{Source: source, Changes: changes, Done: secs(res.Span()), Unfinished: res.Unfinished,
		Workflows: simWorkflows(res.Workflows, res.Start)}
	for _, l := range res.Locks {
		out.Locks = append(out.Locks, simLock{Key: l.Key, Limit: l.Limit, Grants: l.Requests, WaitP50: secs(l.WaitP50),
			WaitP95: secs(l.WaitP95), WaitMax: secs(l.WaitMax), Utilisation: math.Round(l.Utilisation*1000) / 1000,
			MaxQueue: l.MaxQueue, MaxHeld: l.MaxHeld})
	}
	for _, b := range res.Blocked {
		out.Blocked = append(out.Blocked, simBlocked(b))
	}
	if rec != nil {
		// The recording's zero is the scenario's, so its first arrival is
		// the simulation's.
		out.Recorded = &simRecorded{Done: secs(rec.Done - res.Start), Workflows: simWorkflows(rec.Workflows, res.Start)}
	}
	return out
}

// showSecs rounds for reading: to the second from a minute, to 10 ms
// from a second, else to the millisecond.
func showSecs(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func writeSimReport(w io.Writer, out simOutput) error {
	fmt.Fprintf(w, "Simulated %d workflows from %s", len(out.Workflows), out.Source)
	if len(out.Changes) > 0 {
		fmt.Fprintf(w, " with %s", strings.Join(out.Changes, ", "))
	}
	fmt.Fprint(w, ".\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOCK\tLIMIT\tGRANTS\tWAIT P50\tWAIT P95\tUTILISATION\tMAX QUEUE")
	for _, l := range out.Locks {
		util := "-"
		if l.Limit > 0 {
			util = fmt.Sprintf("%.0f%%", l.Utilisation*100)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%d\n", l.Key, l.Limit, l.Grants, showSecs(l.WaitP50), showSecs(l.WaitP95), util, l.MaxQueue)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeSimDone(w, out)
	fmt.Fprintf(w, "Start order: %s.\n", startOrder(out.Workflows))
	if out.Recorded != nil {
		rec := startOrder(out.Recorded.Workflows)
		if rec == startOrder(out.Workflows) {
			rec = "the same"
		}
		fmt.Fprintf(w, "Recorded:    %s.\n", rec)
	}
	return nil
}

// writeSimDone says when everything was done or, when not everything
// is, when what finishes is done and why the rest never finishes.
func writeSimDone(w io.Writer, out simOutput) {
	never, all := len(out.Unfinished), len(out.Workflows)
	switch never {
	case 0:
		fmt.Fprintf(w, "\nEverything done %s after the first arrival", showSecs(out.Done))
		if out.Recorded != nil && out.Recorded.Done > 0 {
			fmt.Fprintf(w, " (recorded: %s, %+.1f%%)", showSecs(out.Recorded.Done), (out.Done-out.Recorded.Done)/out.Recorded.Done*100)
		}
		fmt.Fprintln(w, ".")
		return
	case all:
		fmt.Fprintf(w, "\nNo workflow finishes; all %d never finish:\n", all)
	default:
		fmt.Fprintf(w, "\nThe %d workflows that finish are done %s after the first arrival; %d never finish:\n",
			all-never, showSecs(out.Done), never)
	}
	for _, b := range out.Blocked {
		waits := fmt.Sprintf("%d workflows wait for it: %s", len(b.Waiting), shortList(b.Waiting))
		if len(b.Waiting) == 1 {
			waits = "1 workflow waits for it: " + b.Waiting[0]
		}
		switch {
		case b.Limit == 0:
			fmt.Fprintf(w, "  lock %s has limit 0 (--set %s=N raises it); %s.\n", b.Key, b.Key, waits)
		case len(b.Holders) > 0:
			which := "which never finishes"
			if len(b.Holders) > 1 {
				which = "which never finish"
			}
			fmt.Fprintf(w, "  lock %s (limit %d) is held by %s, %s; %s.\n", b.Key, b.Limit, shortList(b.Holders), which, waits)
		default:
			fmt.Fprintf(w, "  lock %s (limit %d): %s.\n", b.Key, b.Limit, waits)
		}
	}
}

// shortList joins names, at most maxOrderShown of them.
func shortList(names []string) string {
	if len(names) > maxOrderShown {
		return strings.Join(names[:maxOrderShown], ", ") + fmt.Sprintf(", ... (%d more; -o json lists all)", len(names)-maxOrderShown)
	}
	return strings.Join(names, ", ")
}

// maxOrderShown bounds the start order printed in the table form.
const maxOrderShown = 20

func startOrder(ws []simWorkflow) string {
	var names []string
	for _, w := range ws {
		if !w.NeverStarted {
			names = append(names, w.Name)
		}
	}
	if len(names) == 0 {
		return "none starts"
	}
	return shortList(names)
}
