package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// A data template runs in the engine, with no step process: it lists the
// files of an artifact in the repository and runs its transformations
// over the list (expr.DataTransform), and the JSON is the node's
// outputs.result. It runs on a goroutine of its own, not the workflow's
// loop (a listing can be slow), and reports as a step does: started,
// then its result. A kill or the deadline cancels it. An engine that
// stops meanwhile leaves it unstarted in the store (its directory holds
// no job), so the next engine runs it again: it has no side effects.

// maxDataJobs bounds the data templates worked on at once, over every
// workflow: each lists up to artifacts.MaxListed keys and evaluates
// expressions over them. The rest wait for a slot.
const maxDataJobs = 4

// startData starts a data template's job for the launch l; the run
// counts it live until its result comes, as a step. Its source is
// resolved here, on the loop (the workflow's repository is read from the
// workflow), and listed on the job's goroutine.
func (r *run) startData(l *reconcile.Launch, dir string) {
	src, err := r.e.dataSource(r.wf, l.Data.Source)
	if err != nil {
		now := r.e.now()
		r.push(reconcile.Event{Kind: reconcile.StepExited, NodeID: l.NodeID, At: now,
			Result: &executor.Result{ExitCode: -1, StartError: dataSourceError(l.Data.Source, err), Started: now, Finished: now}}, "")
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	if r.data == nil {
		r.data = map[string]context.CancelCauseFunc{}
	}
	r.data[l.NodeID] = cancel
	r.live[l.NodeID] = dir
	key, exprs, deadline := r.key(l.NodeID), l.Data.Expressions, l.Deadline
	r.e.wg.Add(1) // the run counts in wg until it finishes: never zero here
	go func() {
		defer r.e.wg.Done()
		defer cancel(nil)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			// The run ended (the engine detached): nobody takes the
			// result, and the next engine runs the job again.
			select {
			case <-r.done:
				cancel(errDetached)
			case <-stop:
			}
		}()
		res := r.e.runData(ctx, key, dir, src, exprs, deadline)
		if ctx.Err() != nil && errors.Is(context.Cause(ctx), errDetached) {
			return
		}
		r.e.stepDone(key, res)
	}()
}

// cancelData ends a running data job with reason; false if id is none.
func (r *run) cancelData(id, reason string) bool {
	cancel, ok := r.data[id]
	if ok {
		cancel(killReason(reason))
	}
	return ok
}

// dataSrc is a data template's source, resolved: the repository that
// holds it and the key to list there.
type dataSrc struct {
	name   string // the artifact's, for messages
	lister artifacts.Lister
	key    string
	// hidden is the start of key the user never wrote (the namespace
	// directory of the engine's repository): listed keys are shown
	// without it, as Argo's keys.
	hidden string
}

func dataSourceError(a wfv1.Artifact, err error) string {
	return fmt.Sprintf("data.source.artifactPaths %q: %v", a.Name, err)
}

// dataSource resolves a data template's source in wf's repositories.
func (e *Engine) dataSource(wf *wfv1.Workflow, a wfv1.Artifact) (dataSrc, error) {
	src := dataSrc{name: a.Name}
	if a.S3 == nil {
		return src, fmt.Errorf("%s artifacts cannot be listed: semaflow lists only artifact repositories (s3, or from naming a stored artifact)", locationKind(&a))
	}
	if a.SubPath != "" && !filepath.IsLocal(a.SubPath) {
		return src, fmt.Errorf("subPath %q leaves the artifact", a.SubPath)
	}
	d, key, _, err := e.openArtifact(wf, a.S3)
	if err != nil {
		return src, err
	}
	l, ok := d.(artifacts.Lister)
	if !ok {
		return src, errors.New("this artifact repository cannot list what it holds")
	}
	src.lister, src.key = l, key
	if strings.HasSuffix(key, a.S3.Key) {
		src.hidden = strings.TrimSuffix(key, a.S3.Key)
	}
	if a.SubPath != "" {
		src.key = path.Join(key, a.SubPath)
	}
	return src, nil
}

// killReason is why a data job was cancelled: its result's Killed, in
// the words reconcile gives (Argo's).
type killReason string

func (k killReason) Error() string { return string(k) }

// runData does a data template's work and gives its result.
func (e *Engine) runData(ctx context.Context, key, dir string, src dataSrc, exprs []string, deadline time.Time) *executor.Result {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, deadline, killReason(reconcile.PodDeadlineMessage))
		defer cancel()
	}
	killed := func(res *executor.Result) *executor.Result {
		res.ExitCode, res.Killed, res.Finished = -1, context.Cause(ctx).Error(), time.Now()
		return res
	}
	select {
	case e.dataSlots <- struct{}{}:
		defer func() { <-e.dataSlots }()
	case <-ctx.Done():
		return killed(&executor.Result{Started: time.Now()})
	}
	res := &executor.Result{Started: time.Now()}
	e.stepStarted(key, res.Started)
	logf := dataLog(dir)
	defer logf.close()
	// Nothing stored there is an empty list, as Argo's listing of a
	// prefix with nothing under it.
	keys, err := src.lister.List(ctx, src.key)
	if errors.Is(err, artifacts.ErrNotFound) {
		keys, err = []string{}, nil
	}
	if ctx.Err() != nil {
		return killed(res)
	}
	if err != nil {
		res.ExitCode, res.StartError, res.Finished = -1, fmt.Sprintf("data.source.artifactPaths %q: %v", src.name, err), time.Now()
		logf.printf("%s\n", res.StartError)
		return res
	}
	for i := range keys {
		keys[i] = strings.TrimPrefix(keys[i], src.hidden)
	}
	logf.printf("listed %d file(s) under %s\n", len(keys), strings.TrimPrefix(src.key, src.hidden))
	out, err := expr.DataTransform(keys, exprs)
	res.Finished = time.Now()
	if err != nil {
		// As Argo's data pod: its executor exits 1 with the error.
		res.ExitCode, res.ExecError = 1, err.Error()
		logf.printf("%v\n", err)
		return res
	}
	res.Stdout = out
	return res
}

// jobLog is a data job's log, where the node's log is recorded; a log
// that cannot be written loses its lines, never the result.
type jobLog struct{ f *os.File }

func dataLog(dir string) jobLog {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return jobLog{}
	}
	f, err := os.OpenFile(filepath.Join(dir, executor.LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return jobLog{}
	}
	return jobLog{f: f}
}

func (l jobLog) printf(format string, args ...any) {
	if l.f != nil {
		_, _ = fmt.Fprintf(l.f, format, args...)
	}
}

func (l jobLog) close() {
	if l.f != nil {
		_ = l.f.Close()
	}
}
