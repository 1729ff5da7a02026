package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
)

type runOptions struct {
	params       []string
	count        int
	db           string
	output       string
	namespace    string
	plain        bool
	log          bool
	parallel     int
	nsParal      int
	isolation    isolationFlags
	limits       spec.Limits
	artifactRepo string
	secretsDir   string
	imageTable   string
	httpAllow    []string
	lease        leaseFlags
	nodeName     string
	grace        time.Duration
	noLint       bool
}

func newRunCmd() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [FILE|DIR...]",
		Short: "Run workflows to completion on this machine and show their progress",
		Long: "run applies the ConfigMaps and WorkflowTemplates found in the input, runs every Workflow in it\n" +
			"concurrently as local processes, shows their progress, prints their final state, and exits 0 only\n" +
			"if every workflow Succeeded. Ctrl-C or SIGTERM terminates the steps and ends the workflows Failed;\n" +
			"run exits within --grace-period of the signal whatever state it is in (killing what still runs).\n" +
			"With --db, workflows an earlier run left unfinished in that database (it was killed) are resumed\n" +
			"first: their locks are rebuilt before anything is granted, and steps still running are followed.\n" +
			"The same command run again after such a kill submits neither those nor the copies it had finished\n" +
			"(same fixed metadata.name and spec): those are reported as stored. Every fixed name the run would\n" +
			"take is looked up in --db before anything is submitted or resumed: one held by another workflow\n" +
			"(another spec, finished or not) refuses the whole run. Only fixed names are matched: workflows of a\n" +
			"generateName get new names each time, so a rerun resumes the unfinished ones and submits new ones too.",
		RunE: func(cmd *cobra.Command, args []string) error {
			// Before the isolation probe: a mistyped flag is said at once.
			if err := checkNodeName(o.nodeName); err != nil {
				return err
			}
			iso, _, err := o.isolation.resolve(cmd, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runRun(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, o, iso)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.params, "parameter", "p", nil, "set a workflow argument: -p name=value (repeatable)")
	f.IntVar(&o.count, "count", 1, "submit this many copies of each workflow (copies of a fixed metadata.name are named <name>-1 to <name>-N)")
	f.StringVar(&o.db, "db", "", "database to keep the run in: a SQLite file, or a postgres:// URL shared with semaflow servers (default: a temporary SQLite file, removed afterwards)")
	f.StringVarP(&o.output, "output", "o", "", "print the final workflows as json or yaml instead of a tree")
	f.StringVarP(&o.namespace, "namespace", "n", spec.DefaultNamespace, "namespace for objects that name none")
	addHTTPAllowFlag(cmd, &o.httpAllow)
	f.StringVar(&o.imageTable, "image-table", "", "YAML file of images and the entrypoint/cmd a container with no command runs (default: images.yaml in the data directory, if any; built-ins cover argosay, whalesay, alpine, busybox, python, ...)")
	f.StringVar(&o.artifactRepo, "artifact-repository", "", "directory of the artifact repository that output artifacts and key-only s3 artifacts use (default: artifacts in the data directory)")
	f.StringVar(&o.secretsDir, "secrets-dir", "", "directory of the secrets artifacts name, one file per key: DIR/NAMESPACE/NAME/KEY (a workflow reads only its own namespace's)")
	f.BoolVar(&o.noLint, "no-lint", false, "run even when lint reports errors (they are printed): the engine still fails what it cannot run, and breaks lock deadlocks by failing the youngest waiter")
	f.BoolVar(&o.plain, "plain", false, "print progress lines even on a terminal")
	f.BoolVar(&o.log, "log", false, "stream every step's output, each line prefixed with its workflow and step (as argo submit --log); progress is printed as lines")
	f.IntVar(&o.parallel, "parallelism", 0, "run at most this many workflows at once (0: no cap); the rest queue by priority, then age")
	f.IntVar(&o.nsParal, "namespace-parallelism", 0, "run at most this many workflows at once per namespace (0: no cap)")
	// run runs a user's own workflows as that user: no step user unless asked.
	o.isolation.add(cmd, "")
	addLimitFlags(cmd, &o.limits)
	addLeaseFlags(cmd, &o.lease)
	addNodeNameFlag(cmd, &o.nodeName)
	addGraceFlag(cmd, &o.grace, "run terminates the workflows and waits this long for them to end, then kills their steps")
	return cmd
}

func runRun(ctx context.Context, stdout, stderr io.Writer, args []string, o *runOptions, iso executor.Isolation) error {
	if err := checkLimits(o.limits); err != nil {
		return err
	}
	if err := o.lease.check(); err != nil {
		return err
	}
	if o.grace <= 0 {
		return fmt.Errorf("--grace-period must be positive, got %s", o.grace)
	}
	if o.count < 1 {
		return fmt.Errorf("--count must be at least 1, got %d", o.count)
	}
	if o.output != "" && o.output != "json" && o.output != "yaml" {
		return fmt.Errorf("unknown output format %q: use json or yaml", o.output)
	}
	if len(args) == 0 && o.db == "" {
		return fmt.Errorf("nothing to run: give manifest files, or --db to resume the workflows left in a database")
	}
	params, err := parseParams(o.params)
	if err != nil {
		return err
	}
	set := spec.NewSet()
	if len(args) > 0 {
		lo := &lintOptions{maxSize: spec.DefaultMaxSize, namespace: o.namespace, limits: o.limits, dbLimits: runDBLimits(ctx, o.db), noteImages: true}
		if set, err = lintSet(stderr, args, lo, nil, o.noLint, "run"); err != nil {
			return err
		}
	}
	var wfs []*wfv1.Workflow
	var wfDocs []*spec.Document
	var cms []*wfv1.ConfigMap
	var tpls []*wfv1.WorkflowTemplate
	for _, f := range set.Files {
		for _, d := range f.Docs {
			switch {
			case d.Workflow != nil:
				wfs = append(wfs, d.Workflow)
				wfDocs = append(wfDocs, d)
			case d.ConfigMap != nil:
				cms = append(cms, d.ConfigMap)
			case d.Template != nil:
				tpls = append(tpls, d.Template)
			case d.Cron != nil:
				fmt.Fprintf(stderr, "%s: CronWorkflow %s is not run by `semaflow run`: its schedule needs `semaflow server`\n", d.File, d.Name)
			}
		}
	}
	if len(wfs) == 0 && len(args) > 0 {
		return fmt.Errorf("no Workflow found in %s", strings.Join(args, ", "))
	}
	for _, wf := range wfs {
		if err := setParams(wf, params); err != nil {
			return err
		}
		if err := checkCopyNames(wf, o.count); err != nil {
			return err
		}
	}
	if err := checkDuplicateNames(wfDocs, o.count); err != nil {
		return err
	}
	// Before the engine starts: it resumes what --db left unfinished,
	// and a copy's name held by another workflow refuses the whole run.
	held, err := checkHeldNames(ctx, o.db, wfDocs, o.count)
	if err != nil {
		return err
	}

	live := !o.plain && !o.log && o.output == "" && isTerminal(stdout)
	prog := newProgress(stdout, live)
	if o.output != "" {
		prog = newProgress(stderr, false)
	}
	// Caught before the engine starts: a Ctrl-C while it resumes still
	// terminates the workflows rather than killing run outright. Past the
	// grace period, the steps are killed and run exits, stuck or not.
	var started atomic.Pointer[app.App]
	guard := newSignalGuard(ctx, stderr, "semaflow run", o.grace, func() {
		if a := started.Load(); a != nil {
			reportAbort(stderr, a.Abort())
		}
	}, os.Exit)
	defer guard.stop()
	app.TuneRunGC()
	a, err := app.Start(ctx, app.Options{Kind: app.KindRun, DB: o.db, Observe: prog.observe,
		Parallelism: o.parallel, NamespaceParallelism: o.nsParal, Isolation: iso, Limits: o.limits, ImageTable: o.imageTable, ArtifactRepository: o.artifactRepo, SecretsDir: o.secretsDir, HTTPAllow: o.httpAllow,
		ConfigMaps: cms, Templates: tpls, LeaseTTL: o.lease.ttl, LeaseMargin: o.lease.margin, NodeName: o.nodeName,
		Logger: runLogger(stderr)})
	if err != nil {
		return err
	}
	started.Store(a)
	prog.setLocks(func(ctx context.Context) ([]locks.View, error) { return a.Engine.Locks(ctx, "") })
	defer func() { _ = a.Stop(false) }()
	eng := a.Engine
	prog.showStarts(eng.StartEstimate)
	uids := a.Resumed
	if len(uids) > 0 {
		fmt.Fprintf(stderr, "resuming %s left unfinished in %s\n", plural(len(uids), "workflow"), app.ShownDB(o.db))
	}
	if len(uids) == 0 && len(wfs) == 0 {
		return fmt.Errorf("no unfinished workflow in %s and no manifest given", app.ShownDB(o.db))
	}
	var submitted []*wfv1.Workflow
	resumed := map[string]bool{}
	for _, uid := range uids {
		resumed[uid] = true
	}
	// Each workflow's waiter is taken as it starts: one that ends before
	// its turn below still hands over its final state from memory.
	waits := make([]func(context.Context) (*wfv1.Workflow, bool, error), 0, len(uids))
	for _, uid := range uids {
		waits = append(waits, eng.Waiter(uid))
	}
	for _, wf := range wfs {
		subs, err := submitCopies(ctx, stderr, eng, wf, o.count, app.ShownDB(o.db), held, resumed)
		for _, sub := range subs {
			uids = append(uids, sub.wf.Metadata.UID)
			waits = append(waits, sub.wait)
			if !sub.earlier {
				submitted = append(submitted, sub.wf)
			}
		}
		if err != nil {
			eng.StopAll(true, "semaflow run: a later submission failed")
			return err
		}
	}
	stopLogs := func() {}
	if o.log {
		logW := termOut(stdout)
		if o.output != "" {
			logW = termOut(stderr)
		}
		stopLogs = followRunLogs(ctx, logW, eng, submitted)
		defer stopLogs()
	}
	prog.setOrder(uids)
	// finished keeps the deferred guard.stop, which also ends Signaled,
	// from reading as a signal once every workflow is over.
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
			return
		case <-guard.Signaled():
		}
		select {
		case <-finished: // both were ready; the workflows are over
			return
		default:
		}
		if ctx.Err() == nil {
			eng.StopAll(true, "interrupted: semaflow run received a signal and terminated the workflow")
			// A second signal is not caught (the guard let it go): it ends
			// run at once, should the workflows never finish ending.
			fmt.Fprintf(stderr, "semaflow run: terminating the workflows (at most %s); a second interrupt exits at once\n", o.grace)
		}
	}()
	var final []*wfv1.Workflow
	for _, wait := range waits {
		// Read only: the report prints it.
		wf, _, err := wait(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
		final = append(final, wf)
	}
	prog.close()
	// Every log line is out before the trees.
	stopLogs()
	select {
	case err := <-a.Failed():
		// Another engine took the database over: the workflows are its.
		return err
	default:
	}
	return report(ctx, stdout, final, o, eng)
}

// loadSet parses and validates the input; errors are printed like lint's.
// loadSet reads and lints files, printing what lint says; an error stops
// everything. applied, when set, finds what a server already holds, so
// references are judged as the server will judge them.
func loadSet(stderr io.Writer, args []string, namespace string, applied spec.Lookup, limits spec.Limits) (*spec.Set, error) {
	return loadSetFor(stderr, args, namespace, applied, limits, false, "applied")
}

// loadSetFor is loadSet; with noLint (--no-lint) lint's errors are
// printed and the input goes on, for the engine to judge at run time:
// a file that cannot be read or parsed still stops everything. done says
// what the command does with the files (run, submitted, applied), for
// its refusal. What is run or submitted names its images once.
func loadSetFor(stderr io.Writer, args []string, namespace string, applied spec.Lookup, limits spec.Limits, noLint bool, done string) (*spec.Set, error) {
	return lintSet(stderr, args, &lintOptions{maxSize: spec.DefaultMaxSize, namespace: namespace, limits: limits, noteImages: done != "applied"}, applied, noLint, done)
}

// lintSet is loadSetFor with the lint options given.
func lintSet(stderr io.Writer, args []string, lo *lintOptions, applied spec.Lookup, noLint bool, done string) (*spec.Set, error) {
	lo.applied = applied
	set := checkFiles(args, lo)
	if l, ok := applied.(*serverLookup); ok && l.err != nil {
		return nil, l.err
	}
	diags := set.Diagnostics()
	for _, d := range diags {
		fmt.Fprintln(stderr, d.String())
	}
	if !diags.HasErrors() {
		return set, nil
	}
	errs, _ := diags.Count()
	if noLint && !unreadable(set) {
		fmt.Fprintf(stderr, "--no-lint: going on despite %s\n", plural(errs, "error"))
		return set, nil
	}
	fmt.Fprintf(stderr, "%s: nothing was %s\n", plural(errs, "error"), done)
	return nil, errFailed
}

// unreadable says whether a file of the set could not be read or parsed
// into objects: nothing of it could run, whatever --no-lint says.
func unreadable(set *spec.Set) bool {
	for _, f := range set.Files {
		if f.Diags.HasErrors() {
			return true
		}
		for _, d := range f.Docs {
			if d.Workflow == nil && d.Template == nil && d.Cron == nil && d.ConfigMap == nil {
				return true
			}
		}
	}
	return false
}

// copyOf is the i-th of count copies of wf: a fixed name is numbered from
// 1 (a generateName gets its random suffix anyway). Submit copies it.
func copyOf(wf *wfv1.Workflow, i, count int) *wfv1.Workflow {
	if count == 1 || wf.Metadata.Name == "" {
		return wf
	}
	c := *wf
	c.Metadata.Name = fmt.Sprintf("%s-%d", wf.Metadata.Name, i+1)
	return &c
}

// checkCopyNames refuses, before anything runs, a --count whose copy
// names would not be valid names.
func checkCopyNames(wf *wfv1.Workflow, count int) error {
	if count == 1 || wf.Metadata.Name == "" {
		return nil
	}
	if err := spec.ValidName(copyOf(wf, count-1, count).Metadata.Name); err != nil {
		name := wf.Metadata.Name
		if len(name) > 80 {
			name = name[:80] + "..."
		}
		return fmt.Errorf("--count %d: workflow %q: its copies are named <name>-1 to <name>-%d, and the last %w: shorten its metadata.name; nothing was run",
			count, name, count, err)
	}
	return nil
}

func parseParams(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-p %q: expected name=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// setParams overrides workflow arguments; a name the workflow does not
// declare is an error, so a typo is not silently ignored.
func setParams(wf *wfv1.Workflow, params map[string]string) error {
	for name, value := range params {
		v := wfv1.AnyString(value)
		found := false
		for i := range wf.Spec.Arguments.Parameters {
			if wf.Spec.Arguments.Parameters[i].Name == name {
				wf.Spec.Arguments.Parameters[i].Value = &v
				wf.Spec.Arguments.Parameters[i].ValueFrom = nil
				found = true
			}
		}
		if !found && wf.Spec.WorkflowTemplateRef == nil {
			return fmt.Errorf("-p %s: workflow %s has no argument %q", name, wf.Metadata.Name+wf.Metadata.GenerateName, name)
		}
		if !found {
			wf.Spec.Arguments.Parameters = append(wf.Spec.Arguments.Parameters, wfv1.Parameter{Name: name, Value: &v})
		}
	}
	return nil
}

func report(ctx context.Context, w io.Writer, final []*wfv1.Workflow, o *runOptions, logs logSource) error {
	ok := true
	for i, wf := range final {
		if wf.Status.Phase != wfv1.PhaseSucceeded {
			ok = false
		}
		switch o.output {
		case "json":
			b, err := json.MarshalIndent(wf, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintln(w, string(b))
		case "yaml":
			b, err := yaml.Marshal(wf)
			if err != nil {
				return err
			}
			if i > 0 {
				fmt.Fprintln(w, "---")
			}
			fmt.Fprint(w, string(b))
		default:
			fmt.Fprintln(w)
			writeTree(w, wf, wf.Status.Nodes, time.Now())
			writeFailedLogs(ctx, termOut(w), logs, wf)
		}
	}
	if !ok {
		return errFailed
	}
	return nil
}

// dbLimitsOf are the database semaphore limits of the database run
// will use, for lint: those stored in --db, none in a new one.
type dbLimitsOf map[string]int

func (l dbLimitsOf) DatabaseLimit(namespace, key string) (int, bool) {
	n, ok := l[domain.LockKey{Namespace: namespace, Kind: domain.LockDatabase, Name: key}.String()]
	return n, ok
}

// runDBLimits reads them; nil (lint then says it cannot see them) when
// the database cannot be read.
func runDBLimits(ctx context.Context, db string) spec.DatabaseLimits {
	if db == "" {
		return dbLimitsOf{}
	}
	views, err := app.LockViews(ctx, db, "")
	if errors.Is(err, os.ErrNotExist) {
		return dbLimitsOf{}
	}
	if err != nil {
		return nil
	}
	out := dbLimitsOf{}
	for _, v := range views {
		out[v.Lock] = v.Limit
	}
	return out
}

// runLogger says on stderr what keeps the run from going on (the disk is
// full, the lease is lost) rather than leaving a live tree that no longer
// moves: errors only, the tree tells the rest.
func runLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
}
