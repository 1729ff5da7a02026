package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// Labels and annotations Argo puts on the workflows a CronWorkflow makes.
const (
	CronLabel         = "workflows.argoproj.io/cron-workflow"
	ScheduledTimeNote = "workflows.argoproj.io/scheduled-time"
)

// cronScheduler starts the workflows of stored CronWorkflows on time. Each
// run is named after its scheduled time, so a run submitted just before a
// crash is not submitted twice after it.
type cronScheduler struct {
	e    *Engine
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// changed makes the scheduler look at its CronWorkflows again.
func (c *cronScheduler) changed() {
	if c == nil {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// StartCron starts scheduling the stored CronWorkflows (the server does;
// `semaflow run` does not).
func (e *Engine) StartCron() {
	c := &cronScheduler{e: e, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	e.mu.Lock()
	e.cron = c
	e.mu.Unlock()
	go c.loop()
}

func (e *Engine) stopCron() {
	e.mu.Lock()
	c := e.cron
	e.cron = nil
	e.mu.Unlock()
	if c != nil {
		close(c.stop)
		<-c.done
	}
}

func (c *cronScheduler) loop() {
	defer close(c.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		case <-timer.C:
		}
		next := c.tick(context.Background())
		wait := time.Minute
		if !next.IsZero() {
			wait = min(wait, max(0, next.Sub(c.e.now())))
		}
		timer.Reset(wait)
	}
}

// tick handles every CronWorkflow once and returns the earliest next run.
func (c *cronScheduler) tick(ctx context.Context) time.Time {
	docs, err := c.e.Objects(ctx, wfv1.KindCronWorkflow, "")
	if err != nil {
		c.e.log.Error("listing cron workflows", "err", err)
		return time.Time{}
	}
	var earliest time.Time
	for _, doc := range docs {
		var cw wfv1.CronWorkflow
		if err := json.Unmarshal(doc, &cw); err != nil {
			continue
		}
		next, err := c.handle(ctx, &cw)
		if err != nil {
			c.e.log.Error("cron workflow", "name", cw.Metadata.Name, "err", err)
		}
		if !next.IsZero() && (earliest.IsZero() || next.Before(earliest)) {
			earliest = next
		}
	}
	return earliest
}

// handle tidies one CronWorkflow's history, starts its due run and
// records its status; it returns when it is next due.
func (c *cronScheduler) handle(ctx context.Context, cw *wfv1.CronWorkflow) (time.Time, error) {
	before, _ := json.Marshal(cw.Status)
	active, err := c.tidy(ctx, cw)
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	plan, err := newCronPlan(&cw.Spec)
	switch {
	case err != nil:
		setCondition(cw, "SpecError", err.Error())
	case cw.Spec.Suspend:
		// Nothing is due while suspended; resuming does not replay what
		// fell due meanwhile beyond the grace period.
	default:
		last := cw.Metadata.CreationTimestamp
		if cw.Status.LastScheduledTime != nil {
			last = cw.Status.LastScheduledTime
		}
		now := c.e.now()
		if last == nil {
			last = &now
		}
		d := plan.decide(*last, now)
		next = d.Next
		switch {
		case !d.Due.IsZero():
			if err := c.start(ctx, cw, d.Due, active); err != nil {
				setCondition(cw, "SubmissionError", err.Error())
			} else {
				setCondition(cw, "", "")
			}
			cw.Status.LastScheduledTime = &d.Due
		case d.Missed:
			setCondition(cw, "MissedSchedule", "runs due more than "+plan.grace.String()+" ago were skipped (startingDeadlineSeconds)")
			cw.Status.LastScheduledTime = &now
		}
	}
	if after, _ := json.Marshal(cw.Status); string(after) != string(before) {
		if err := c.e.putCronStatus(ctx, cw); err != nil {
			return next, err
		}
	}
	return next, nil
}

// replaceWait bounds how long a Replace waits for the run it terminates.
const replaceWait = 10 * time.Second

// start submits the run due at, after applying concurrencyPolicy.
func (c *cronScheduler) start(ctx context.Context, cw *wfv1.CronWorkflow, at time.Time, active []string) error {
	ns := cw.Metadata.Namespace
	switch cw.Spec.ConcurrencyPolicy {
	case "Forbid":
		if len(active) > 0 {
			return nil
		}
	case "Replace":
		for _, name := range active {
			old, err := c.e.StopByName(ctx, ns, name, true)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if old != nil {
				// The next run starts once this one ended (its steps are
				// killed): never two at once, as the policy says. Bounded,
				// so a run that cannot end here holds no other cron up.
				wctx, cancel := context.WithTimeout(ctx, replaceWait)
				_, _ = c.e.Wait(wctx, old.Metadata.UID)
				cancel()
			}
		}
	}
	wf := &wfv1.Workflow{Spec: cw.Spec.WorkflowSpec}
	wf.Metadata = wfv1.ObjectMeta{Namespace: ns, Name: cw.Metadata.Name + "-" + strconv.FormatInt(at.Unix(), 10),
		Labels: map[string]string{}, Annotations: map[string]string{ScheduledTimeNote: at.UTC().Format(time.RFC3339)}}
	if m := cw.Spec.WorkflowMetadata; m != nil {
		// The workflow's spec.workflowMetadata, if any, is applied by the
		// same function when the workflow is first reconciled.
		if _, err := spec.ApplyMetadata(&wf.Metadata, m.Labels, m.Annotations); err != nil {
			return fmt.Errorf("spec.workflowMetadata: %w", err)
		}
	}
	wf.Metadata.Labels[CronLabel] = cw.Metadata.Name
	sub, err := c.e.Submit(ctx, wf)
	switch {
	case err == nil:
		cw.Status.Active = append(cw.Status.Active, activeRef(sub))
	case !errors.Is(err, store.ErrExists):
		return err
	}
	return nil
}

// activeRef is an entry of a CronWorkflow's status.active.
func activeRef(wf *wfv1.Workflow) wfv1.Object {
	return wfv1.Object{"kind": wfv1.KindWorkflow, "apiVersion": "argoproj.io/v1alpha1",
		"namespace": wf.Metadata.Namespace, "name": wf.Metadata.Name, "uid": wf.Metadata.UID}
}

// tidy refreshes the status from the CronWorkflow's workflows and deletes
// finished ones beyond the history limits (Argo's defaults: 3 succeeded,
// 1 failed). It returns the names of those still running.
func (c *cronScheduler) tidy(ctx context.Context, cw *wfv1.CronWorkflow) ([]string, error) {
	name := cw.Metadata.Name
	list, _, err := c.e.List(ctx, store.ListOptions{Namespace: cw.Metadata.Namespace,
		Match: func(wf *wfv1.Workflow) bool { return wf.Metadata.Labels[CronLabel] == name }})
	if err != nil {
		return nil, err
	}
	keep := map[bool]int{true: 3, false: 1}
	if l := cw.Spec.SuccessfulJobsHistoryLimit; l != nil {
		keep[true] = int(*l)
	}
	if l := cw.Spec.FailedJobsHistoryLimit; l != nil {
		keep[false] = int(*l)
	}
	sort.SliceStable(list, func(i, j int) bool { // newest first
		return list[i].Metadata.CreationTimestamp.After(*list[j].Metadata.CreationTimestamp)
	})
	// Runs are counted when they are seen to end, as Argo does: each was
	// in the active list first.
	wasActive := map[string]bool{}
	for _, o := range cw.Status.Active {
		if name, ok := o["name"].(string); ok {
			wasActive[name] = true
		}
	}
	var active []string
	cw.Status.Active = nil
	seen := map[bool]int{}
	for _, wf := range list {
		switch wf.Status.Phase {
		case wfv1.PhaseSucceeded, wfv1.PhaseFailed, wfv1.PhaseError:
			ok := wf.Status.Phase == wfv1.PhaseSucceeded
			seen[ok]++
			if wasActive[wf.Metadata.Name] {
				if ok {
					cw.Status.Succeeded++
				} else {
					cw.Status.Failed++
				}
			}
			if seen[ok] > keep[ok] {
				if err := c.e.Delete(ctx, wf.Metadata.Namespace, wf.Metadata.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
			}
		default:
			active = append(active, wf.Metadata.Name)
			cw.Status.Active = append(cw.Status.Active, activeRef(wf))
		}
	}
	cw.Status.Phase = "Active"
	return active, nil
}

func setCondition(cw *wfv1.CronWorkflow, typ, msg string) {
	if typ == "" {
		cw.Status.Conditions = nil
		return
	}
	cw.Status.Conditions = []wfv1.Condition{{Type: typ, Status: "True", Message: msg}}
}

// ApplyCron stores a CronWorkflow; create refuses a name already taken,
// an update (!create) a name not stored. A replaced one keeps its status
// (what it last ran). It is scheduled at once.
func (e *Engine) ApplyCron(ctx context.Context, cw *wfv1.CronWorkflow, create bool) (*wfv1.CronWorkflow, error) {
	var old wfv1.CronWorkflow
	err := e.Object(ctx, wfv1.KindCronWorkflow, cw.Metadata.Namespace, cw.Metadata.Name, &old)
	switch {
	case err == nil && create:
		return nil, fmt.Errorf("CronWorkflow %s/%s: %w", cw.Metadata.Namespace, cw.Metadata.Name, store.ErrExists)
	case err == nil:
		cw.Metadata.CreationTimestamp, cw.Metadata.UID, cw.Status = old.Metadata.CreationTimestamp, old.Metadata.UID, old.Status
	case errors.Is(err, store.ErrNotFound) && !create:
		// An update, as Argo's: it never creates.
		return nil, fmt.Errorf("CronWorkflow %s/%s: %w", cw.Metadata.Namespace, cw.Metadata.Name, store.ErrNotFound)
	case errors.Is(err, store.ErrNotFound):
		now := e.now()
		cw.Metadata.CreationTimestamp, cw.Metadata.UID, cw.Status = &now, newUID(), wfv1.CronWorkflowStatus{}
	default:
		return nil, err
	}
	cw.Kind, cw.APIVersion = wfv1.KindCronWorkflow, "argoproj.io/v1alpha1"
	if err := e.putCron(ctx, cw); err != nil {
		return nil, err
	}
	e.cronChanged()
	return cw, nil
}

// SetCronSuspend suspends or resumes a CronWorkflow's schedule.
func (e *Engine) SetCronSuspend(ctx context.Context, namespace, name string, suspend bool) (*wfv1.CronWorkflow, error) {
	var cw wfv1.CronWorkflow
	if err := e.Object(ctx, wfv1.KindCronWorkflow, namespace, name, &cw); err != nil {
		return nil, err
	}
	cw.Spec.Suspend = suspend
	if !suspend {
		// What fell due while suspended is not run late.
		now := e.now()
		cw.Status.LastScheduledTime = &now
	}
	if err := e.putCron(ctx, &cw); err != nil {
		return nil, err
	}
	e.cronChanged()
	return &cw, nil
}

func (e *Engine) putCron(ctx context.Context, cw *wfv1.CronWorkflow) error {
	doc, err := json.Marshal(cw)
	if err != nil {
		return err
	}
	return e.store.Update(ctx, func(tx store.Tx) error {
		return tx.PutObject(ctx, store.Object{Kind: wfv1.KindCronWorkflow, Namespace: cw.Metadata.Namespace,
			Name: cw.Metadata.Name, Doc: doc, UpdatedAt: e.now()})
	})
}

// putCronStatus replaces only the status, in the stored copy, so a spec
// change or a delete that came meanwhile is not undone.
func (e *Engine) putCronStatus(ctx context.Context, cw *wfv1.CronWorkflow) error {
	return e.store.Update(ctx, func(tx store.Tx) error {
		o, err := tx.GetObject(ctx, store.ObjectKey{Kind: wfv1.KindCronWorkflow, Namespace: cw.Metadata.Namespace, Name: cw.Metadata.Name})
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var cur wfv1.CronWorkflow
		if err := json.Unmarshal(o.Doc, &cur); err != nil {
			return err
		}
		cur.Status = cw.Status
		if o.Doc, err = json.Marshal(&cur); err != nil {
			return err
		}
		return tx.PutObject(ctx, *o)
	})
}

func (e *Engine) cronChanged() {
	e.mu.Lock()
	c := e.cron
	e.mu.Unlock()
	c.changed()
}
