package engine

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/images"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// runOutcome is what a run leaves its waiters.
type runOutcome struct{ final *wfv1.Workflow }

// run is one workflow's loop. It has no goroutine of its own while it
// waits: an event or its timer starts one, which reconciles until nothing
// is pending and then ends. A workflow parked on a lock thus costs its
// state only, not a stack, when thousands wait.
type run struct {
	e  *Engine
	wf *wfv1.Workflow

	mu      sync.Mutex
	pending []reconcile.Event
	message string
	// dirty says a reconcile is owed (an event or the timer came); active
	// says a goroutine is driving this run; finished says none may start.
	dirty, active, finished bool
	// stopping says a Stop or Terminate is among the pending events;
	// terminating, a Terminate.
	stopping, terminating bool
	done                  chan struct{}

	// Only the driving goroutine touches these.
	timer *time.Timer
	// archived says the last commit wrote the ended workflow's archive
	// copy too, so forget need not write one.
	archived bool
	// outcome holds wf as the store holds it once the run ended, its last
	// round committed on this engine: Wait returns a copy of it rather
	// than reading and decoding the workflow again. Set before done is
	// closed, never changed after. Apart from the run so that a waiter
	// keeps only it, not the run's caches, alive.
	outcome *runOutcome
	// live maps node IDs to the step directories of running steps.
	live map[string]string
	// data maps node IDs of running data jobs (datajob.go) to their
	// cancel; they are in live too.
	data map[string]context.CancelCauseFunc
	// adopted are the steps of an earlier engine still being followed,
	// by node ID; r.mu guards it (adopt.go).
	adopted map[string]adoptedStep
	// first is set until the workflow has been written once in full.
	first bool
	// cache keeps what the reconcile can reuse between rounds: loop
	// expansions and DAG shapes (keyed by what determines them), and the
	// working node copies, counts and progress sums of the last round.
	// Those are valid only while wf's nodes are changed by the reconcile
	// alone: any other change to a node must go through the cache
	// (SetWaitingMessage) or be followed by cache.Reset.
	cache *reconcile.Cache

	// xferCtx is the context of the run's artifact transfers, which a
	// stop, terminate or delete cancels (fetchctx.go); r.mu guards both.
	xferCtx    context.Context
	xferCancel context.CancelCauseFunc

	// noFold keeps grants to this run out of the transaction that makes
	// them (fold.go), once its writes failed there; r.mu guards it.
	noFold bool

	// startsNews, once known, says whether a step's start may be news to
	// other nodes (startwait.go); only the driving goroutine touches it.
	startsNews *bool

	// wake interrupts the driving goroutine's pause between retries of a
	// refused write when an event comes (Detach sends one); every push
	// signals it.
	wake chan struct{}
}

func (r *run) push(ev reconcile.Event, message string) {
	r.mu.Lock()
	r.pending = append(r.pending, ev)
	switch ev.Kind {
	case reconcile.Stop:
		r.stopping = true
		r.cancelTransfersLocked(stopCause("workflow shutdown with strategy: Stop"))
	case reconcile.Terminate:
		r.stopping, r.terminating = true, true
		r.cancelTransfersLocked(stopCause("workflow shutdown with strategy: Terminate"))
	}
	if message != "" && r.message == "" {
		r.message = message
	}
	r.kickLocked()
	r.mu.Unlock()
}

// kickLocked owes the run a reconcile and starts a goroutine to do it
// unless one is already driving the run.
func (r *run) kickLocked() {
	r.dirty = true
	select {
	case r.wake <- struct{}{}:
	default:
	}
	if !r.active && !r.finished {
		r.active = true
		go r.drive()
	}
}

func (r *run) kick() {
	r.mu.Lock()
	r.kickLocked()
	r.mu.Unlock()
}

func (r *run) take() ([]reconcile.Event, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs, msg := r.pending, r.message
	r.pending, r.message, r.dirty, r.stopping, r.terminating = nil, "", false, false, false
	return evs, msg
}

// killBeforeLaunch kills the steps plan kills, but those it also starts:
// they are returned, to be killed once launched (a daemon whose scope
// ended as it was planned); killed before, one would count as never
// started and its node end while its process runs.
func (r *run) killBeforeLaunch(plan *reconcile.Plan) (after map[string]string) {
	var starting map[string]bool
	if len(plan.Kill) > 0 && len(plan.Start) > 0 {
		starting = make(map[string]bool, len(plan.Start))
		for i := range plan.Start {
			starting[plan.Start[i].NodeID] = true
		}
	}
	for id, reason := range plan.Kill {
		if starting[id] {
			if after == nil {
				after = map[string]string{}
			}
			after[id] = reason
			continue
		}
		r.killStep(id, reason)
	}
	return after
}

// terminateAsked says whether a terminate waits for the next round, and
// the reason a step it keeps from starting records.
func (r *run) terminateAsked() (string, bool) {
	r.mu.Lock()
	terminating := r.terminating
	r.mu.Unlock()
	if !terminating {
		return "", false
	}
	return r.shutdownAsked()
}

// stopAsked says whether a stop or terminate waits for the next round.
func (r *run) stopAsked() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopping
}

// drive reconciles while a reconcile is owed, then lets its goroutine end.
func (r *run) drive() {
	for {
		r.mu.Lock()
		if !r.dirty {
			r.active = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if r.e.detached.Load() || !r.step() {
			r.stop()
			return
		}
	}
}

// stop ends the run for good once its driving goroutine's last round is
// done.
func (r *run) stop() {
	if r.e.fenced.Load() {
		// Another engine owns this workflow now: its steps must not go on
		// beside what that engine decides.
		r.killAll(fencedKill)
	}
	r.finish()
}

// finish ends the loop for good: later events start nothing.
func (r *run) finish() {
	r.mu.Lock()
	r.finished = true
	r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
	}
	if r.archived && !r.e.detached.Load() && !r.e.fenced.Load() {
		r.outcome.final = r.wf
	}
	r.e.forget(r)
	close(r.done)
	r.e.wg.Done()
}

// step reconciles once with the events pending; false means the run is
// over (the workflow ended, or the engine detached).
func (r *run) step() bool {
	ctx := context.Background()
	if !r.awaitMoreThanStarts() {
		return false
	}
	events, msg := r.take()
	plan, whole := r.reconcile(events, msg)
	lockRes, ok := r.commit(ctx, plan, events, whole)
	r.archived = ok && isEnded(r.wf.Status.Phase)
	if !ok {
		// The engine detached while the store refused the change: steps go
		// on under their supervisor, and the next engine resumes from what
		// the store holds.
		return false
	}
	return r.committed(ctx, plan, lockRes)
}

// reconcile applies events to r.wf and says what to write and do; whole
// says the whole workflow is written, not just its status.
func (r *run) reconcile(events []reconcile.Event, msg string) (*reconcile.Plan, bool) {
	r.renewTransfers()
	if msg != "" && r.wf.Status.Message == "" {
		r.wf.Status.Message = msg
	}
	for _, ev := range events {
		if ev.Kind == reconcile.StepExited {
			// A step whose volumes filled the data directory's disk is
			// evicted (evict.go), before its result is read.
			r.e.stepEnded(r.key(ev.NodeID), ev.Result)
		}
		// Before the result is recorded: an artifact that cannot be
		// stored fails its step.
		if ev.Kind == reconcile.StepExited && ev.Result != nil && len(ev.Result.Artifacts) > 0 {
			if dir, err := r.e.stepDir(r.wf.Metadata.UID, ev.NodeID); err == nil {
				r.e.storeOutputs(r.transfers(), r.wf, dir, ev.Result)
				// The saves are the step's time, as Argo's wait
				// container's are the pod's.
				if now := r.e.now(); now.After(ev.Result.Finished) {
					ev.Result.Finished = now
				}
			}
		}
	}
	phaseBefore := r.wf.Status.Phase
	plan, whole := r.apply(events, r.e.now())
	for _, ev := range events {
		if ev.Kind == reconcile.StepExited {
			delete(r.live, ev.NodeID)
			delete(r.data, ev.NodeID)
		}
	}
	if r.e.shared != nil {
		holders := make([]string, len(plan.Acquire))
		for i, a := range plan.Acquire {
			holders[i] = a.Holder
		}
		r.e.expectGrants(r.wf.Metadata.UID, holders)
	}
	if !isEnded(phaseBefore) && isEnded(r.wf.Status.Phase) {
		// Argo's OnWorkflowCompletion: recorded with the ending itself, so
		// the deleted marks and any failure's condition are never lost.
		changed, _ := r.e.collectArtifacts(r.transfers(), r.wf, GCOnCompletion)
		plan.Changed = append(plan.Changed, changed...)
		if len(changed) > 0 {
			// Nodes changed outside the reconcile: what the cache keeps
			// of them no longer stands.
			r.cache.Reset()
		}
	}
	return plan, whole
}

// apply runs the reconcile proper on r.wf and keeps its labels in step;
// whole says the whole workflow is to be written.
func (r *run) apply(events []reconcile.Event, now time.Time) (*reconcile.Plan, bool) {
	specBefore := [2]any{r.wf.Spec.Shutdown, r.wf.Spec.Suspend}
	plan, crashed := guardReconcile(r.e.log, r.wf, events, now, func() *reconcile.Plan {
		return reconcile.ReconcileCached(r.wf, r.cache, events, now, r.e.objects, r.e.limits)
	})
	if crashed {
		// The walk stopped half way and Crashed changed nodes outside it.
		r.cache.Reset()
	}
	// Stop and suspend change the spec, and a new phase the labels: then
	// the whole workflow is written, not just its status.
	if plan.Relabelled {
		// workflowMetadata may name the engine's own label: it never
		// stands.
		syncNodeLabel(r.wf, r.e.nodeLabel())
	}
	relabelled := syncPhaseLabels(r.wf)
	relabelled = syncExpiry(r.wf) || relabelled
	whole := r.first || relabelled || plan.Relabelled || specBefore != [2]any{r.wf.Spec.Shutdown, r.wf.Spec.Suspend}
	r.first = false
	return plan, whole
}

// committed does what a stored round decided: grants, kills, launches,
// the timer; false means the run is over.
func (r *run) committed(ctx context.Context, plan *reconcile.Plan, lockRes *locks.Result) bool {
	r.e.writeMemo(ctx, plan.Memo)
	r.e.forgetGrants(plan.Release...)
	if lockRes != nil {
		r.e.dl.requested(plan.Acquire, plan.Release, lockRes.Waiting)
		r.e.deliver(lockRes.Grants)
		for holder, msg := range lockRes.Failed {
			r.e.forgetGrants(holder)
			r.push(reconcile.Event{Kind: reconcile.LockFailed, Holder: holder, Message: msg, At: r.e.now()}, "")
		}
	}
	r.notify(plan)
	r.e.hub.publish(Modified, r.wf)
	killAfter := r.killBeforeLaunch(plan)
	for i := range plan.Start {
		if reason, asked := r.terminateAsked(); asked {
			// A terminate came while this round ran: the steps not yet
			// started never will be (rather than thousands started only
			// to be killed), and the next round fails them. A stop lets
			// them start: an exit handler's steps run under it, the
			// others are killed and waited for.
			for _, l := range plan.Start[i:] {
				r.notStarted(l.NodeID, reason)
			}
			break
		}
		r.launch(&plan.Start[i])
	}
	r.kill(killAfter)
	r.mu.Lock()
	adopted := len(r.adopted)
	r.mu.Unlock()
	if plan.Done && len(r.live) == 0 && adopted == 0 {
		return false
	}
	if !plan.Partial {
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
		}
		if !plan.WakeAt.IsZero() {
			r.timer = time.AfterFunc(max(0, plan.WakeAt.Sub(r.e.now())), r.kick)
		}
	}
	return true
}

// fencedKill is a step's Killed reason when its engine lost its session.
const fencedKill = "killed: the engine running it lost its session to another engine"

func (r *run) key(nodeID string) string {
	return domain.StepKey{WorkflowUID: r.wf.Metadata.UID, NodeID: nodeID}.String()
}

// persist writes the workflow, its changed nodes and the log paths of new
// steps in one transaction, before any of them is spawned.
func (r *run) persist(ctx context.Context, plan *reconcile.Plan, events []reconcile.Event, whole bool) (*locks.Result, error) {
	writes := r.writes(ctx, plan, events, whole, r.e.now())
	if len(plan.Acquire)+len(plan.Release) == 0 {
		// Through the group too (group commit): a change that comes while
		// another workflow's transaction runs waits for the next one with
		// every other change that came meanwhile, instead of one
		// transaction each. Without lock operations it claims no lock
		// state.
		_, err := r.e.group.Do(ctx, locks.Op{With: func(tx store.Tx, _ *locks.Result) error { return writes(tx, nil) }})
		return nil, err
	}
	reqs := make([]locks.Request, len(plan.Acquire))
	for i, a := range plan.Acquire {
		reqs[i] = locks.Request{Holder: a.Holder, Locks: a.Locks, Priority: a.Priority, Created: a.Created, Under: a.Under,
			Template: lockTemplate(r.wf, a.NodeID)}
	}
	// Through the group: workflows that take and release locks at once
	// share one claim and one commit (on PostgreSQL every node's lock
	// decisions wait for the claim's row lock until its commit). A failed
	// transaction leaves the lock manager to rebuild at its next claim.
	return r.e.group.Do(ctx, locks.Op{Requests: reqs, Releases: plan.Release, With: writes})
}

// writes records a round's change in a transaction; lockRes is its lock
// operation's result (nil without one). It may run more than once when
// its lock operation shares a transaction that rolls back (see
// locks.Group): it only writes what r.wf says.
func (r *run) writes(ctx context.Context, plan *reconcile.Plan, events []reconcile.Event, whole bool, now time.Time) func(store.Tx, *locks.Result) error {
	return func(tx store.Tx, lockRes *locks.Result) error {
		changedIDs := plan.Changed
		if lockRes != nil {
			for holder, msg := range lockRes.Waiting {
				if id := r.cache.SetWaitingMessage(r.wf, holder, msg); id != "" {
					changedIDs = append(changedIDs, id)
				}
			}
		}
		changed := make([]wfv1.NodeStatus, 0, len(changedIDs))
		for _, id := range changedIDs {
			changed = append(changed, r.wf.Status.Nodes[id])
		}
		put := tx.PutStatus
		if whole {
			put = tx.PutWorkflow
		}
		if err := put(ctx, r.wf); err != nil {
			return err
		}
		if err := tx.PutNodes(ctx, r.wf.Metadata.UID, changed); err != nil {
			return err
		}
		if isEnded(r.wf.Status.Phase) {
			// The archive copy goes with the end (and with any change
			// after it, such as a killed step's exit): no crash between
			// them leaves it to be made at delete, and the end takes no
			// transaction of its own.
			if err := tx.ArchiveWorkflow(ctx, r.wf); err != nil {
				return err
			}
		}
		var evs []store.Event
		for _, l := range plan.Start {
			// A step whose directory is refused records no log; launch
			// fails it with the reason.
			if dir, err := r.e.stepDir(r.wf.Metadata.UID, l.NodeID); err == nil {
				if err := tx.PutLog(ctx, store.NodeLog{WorkflowUID: r.wf.Metadata.UID, NodeID: l.NodeID, Path: filepath.Join(dir, executor.LogFile)}); err != nil {
					return err
				}
			}
			evs = append(evs, store.Event{WorkflowUID: r.wf.Metadata.UID, NodeID: l.NodeID, At: now, Type: "StepLaunched", Message: l.NodeName})
		}
		for _, ev := range events {
			if ev.Kind == reconcile.StepExited {
				n := r.wf.Status.Nodes[ev.NodeID]
				evs = append(evs, store.Event{WorkflowUID: r.wf.Metadata.UID, NodeID: ev.NodeID, At: now, Type: "StepExited", Message: n.Phase + " " + n.Message})
			}
		}
		evs = append(evs, lockHistory(r.wf.Metadata.UID, plan, events, now)...)
		if plan.Done {
			evs = append(evs, store.Event{WorkflowUID: r.wf.Metadata.UID, At: now, Type: "Workflow" + r.wf.Status.Phase, Message: r.wf.Status.Message})
		}
		return tx.AppendEvents(ctx, evs)
	}
}

func (r *run) notify(plan *reconcile.Plan) {
	if r.e.observe == nil {
		return
	}
	// The observer reads on its own goroutine: give it copies, never
	// anything this loop mutates later.
	u := Update{Workflow: &wfv1.Workflow{TypeMeta: r.wf.TypeMeta, Metadata: r.wf.Metadata, Status: r.wf.Status}}
	u.Workflow.Status.Nodes = nil
	u.Workflow.Status.StoredWorkflowTemplateSpec = nil
	if o := r.wf.Status.Outputs; o != nil {
		c := *o
		c.Parameters = append([]wfv1.Parameter(nil), o.Parameters...)
		u.Workflow.Status.Outputs = &c
	}
	for _, id := range plan.Changed {
		u.Changed = append(u.Changed, r.wf.Status.Nodes[id])
	}
	r.e.observe(u)
}

// launch starts one planned step; a failure to start becomes the step's
// result, so the workflow goes on.
func (r *run) launch(l *reconcile.Launch) {
	dir, err := r.e.stepDir(r.wf.Metadata.UID, l.NodeID)
	if err == nil && l.Data != nil {
		r.startData(l, dir)
		return
	}
	var spec executor.Spec
	killed := ""
	if err == nil {
		if l.Template.HTTP != nil {
			spec, err = httpJobSpec(l, r.e.SessionID(), r.e.httpPol)
		} else {
			spec, err = jobSpec(r.wf, l, r.e.stepEnv, r.e.SessionID(), r.e.images)
			if err == nil {
				err = r.e.outputArtifacts(r.wf, l, &spec)
			}
			if err == nil {
				if fetchesInputs(l) {
					// The loading is the step's time, as Argo's init
					// container's is the pod's: it runs from now.
					r.push(reconcile.Event{Kind: reconcile.StepStarted, NodeID: l.NodeID, At: r.e.now()}, "")
				}
				ictx, cancel := r.inputContext(l.Deadline)
				err = r.e.stageInputs(ictx, r.wf, dir, l, &spec)
				if err != nil {
					// Cut short by a stop, a deadline or the engine
					// detaching: that is why the step ended.
					if reason, cut := transferCut(ictx); cut != nil {
						err = cut
					} else if reason != "" {
						killed = reason
					}
				}
				cancel()
			}
		}
	}
	if err == nil {
		spec.Mounts, err = r.e.stepMounts(r.wf, &l.Template)
	}
	if err == nil {
		if r.e.isShared() {
			// The step lives only while its node's lease does: another
			// node takes its permits over once the lease has ended.
			spec.LeaseFile = r.e.sess.leaseFile
			spec.Env = append(spec.Env, "SEMAFLOW_NODE="+r.e.sess.me.Node)
		}
		// Followed before it is handed over: its supervisor's first notices
		// may come before startStep returns.
		r.e.watchVolumes(r.key(l.NodeID), r.wf, spec.Mounts, dir, spec.Ready != nil)
		if err = r.startStep(executor.Job{Key: r.key(l.NodeID), Dir: dir, Spec: spec}); err != nil {
			r.e.unwatchVolumes(r.key(l.NodeID))
		}
	}
	if err != nil {
		if errors.Is(err, errDetached) {
			return
		}
		if errors.Is(err, errStopAsked) {
			// Never spawned: the next round fails it (an exit handler's
			// step would otherwise wait under the stop for ever).
			reason, _ := r.shutdownAsked()
			r.notStarted(l.NodeID, reason)
			return
		}
		now := r.e.now()
		res := &domain.StepResult{ExitCode: -1, StartError: err.Error(), Started: now, Finished: now}
		if killed != "" {
			res.StartError, res.Killed = "", killed+" (while loading its input artifacts)"
		}
		r.push(reconcile.Event{Kind: reconcile.StepExited, NodeID: l.NodeID, At: now, Result: res}, "")
		return
	}
	r.live[l.NodeID] = dir
}

// jobSpec turns a resolved template into what the supervisor runs; the
// step's environment starts from base, and session records whose it is.
// A container with no command runs what its image would (the table).
func jobSpec(wf *wfv1.Workflow, l *reconcile.Launch, base []string, session string, table *images.Table) (executor.Spec, error) {
	t := &l.Template
	s := executor.Spec{Deadline: l.Deadline, DeadlineMessage: reconcile.PodDeadlineMessage, InputFiles: l.InputFiles, Session: session}
	var c *wfv1.Container
	if t.ContainerSet != nil {
		plan, err := containerSetPlan(t.ContainerSet, table)
		if err != nil {
			return s, err
		}
		s.Command, s.Script = slices.Clone(executor.ContainerSetCommand), plan
		// The step is the set's: its containers' own env and workingDir
		// are in the plan.
		c = &wfv1.Container{}
	} else if t.Script != nil {
		c = &t.Script.Container
		s.Script = t.Script.Source
		s.Command = append(append([]string{}, c.Command...), c.Args...)
		if len(s.Command) == 0 && s.Script != "" {
			s.Command = []string{"sh"}
		}
	} else {
		c = t.Container
		argv, err := table.Argv(c.Image, c.Command, c.Args)
		if err != nil {
			return s, err
		}
		s.Command = argv
	}
	s.Argosay = table.IsArgosay(c.Image)
	s.Programs = table.ServesPrograms(c.Image)
	if t.ContainerSet != nil {
		for _, cn := range t.ContainerSet.Containers {
			s.Argosay = s.Argosay || table.IsArgosay(cn.Image)
		}
		s.Programs = true // the runner is served as argosay is
	}
	s.WorkingDir = c.WorkingDir
	if t.ContainerSet == nil {
		s.ImageWorkDir = table.WorkingDir(c.Image)
	}
	s.Env = append(slices.Clone(base),
		"SEMAFLOW_WORKFLOW="+wf.Metadata.Name, "SEMAFLOW_NAMESPACE="+wf.Metadata.Namespace,
		"SEMAFLOW_NODE_ID="+l.NodeID, "ARGO_WORKFLOW_NAME="+wf.Metadata.Name, "ARGO_NODE_ID="+l.NodeID)
	for _, ev := range c.Env {
		s.Env = append(s.Env, ev.Name+"="+ev.Value)
	}
	if len(l.Tokens) > 0 {
		keys := make([]string, 0, len(l.Tokens))
		for k := range l.Tokens {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + strconv.FormatUint(l.Tokens[k], 10)
		}
		s.Env = append(s.Env, "SEMAFLOW_LOCK_TOKENS="+strings.Join(parts, ";"))
	}
	if err := podExtras(&s, t, c, table); err != nil {
		return s, err
	}
	for _, p := range t.Outputs.Parameters {
		if p.ValueFrom == nil || p.ValueFrom.Path == "" {
			continue
		}
		of := executor.OutputFile{Name: p.Name, Path: p.ValueFrom.Path}
		switch {
		case p.ValueFrom.Default != nil:
			d := string(*p.ValueFrom.Default)
			of.Default = &d
		case p.Default != nil:
			d := string(*p.Default)
			of.Default = &d
		}
		s.Outputs = append(s.Outputs, of)
	}
	return s, nil
}
