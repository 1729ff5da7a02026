package engine

import (
	"path/filepath"

	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/semaflow/semaflow/internal/artifacts"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts/fetch"
	"github.com/semaflow/semaflow/internal/artifacts/repos"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/images"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// Executor runs steps; *executor.Local is the implementation.
type Executor interface {
	Start(j executor.Job) error
	Kill(key, reason string)
	Close() error
	Detach()
}

// Update tells an observer what changed in one workflow.
type Update struct {
	Workflow *wfv1.Workflow // metadata and status; Nodes is not filled
	Changed  []wfv1.NodeStatus
}

// Config assembles an Engine.
type Config struct {
	Store   store.Store
	DataDir string // step directories live under DataDir/workflows
	// Self is the semaflow binary used as the step supervisor.
	Self string
	// Observe, when set, is called after every persisted change, from the
	// workflow's own goroutine.
	Observe func(Update)
	Logger  *slog.Logger
	Now     func() time.Time
	// Parallelism and NamespaceParallelism cap how many workflows run at
	// once, in all and per namespace; 0 means no cap.
	Parallelism, NamespaceParallelism int
	// StepEnv is the environment every step starts from, before its own
	// variables. The engine reads no environment itself: app passes the
	// process's own for semaflow run (the user runs their own workflows)
	// and executor.BaseEnv's part of it for a server.
	StepEnv []string
	// Limits bound each workflow's loops and nodes (zero fields: the
	// defaults, spec.DefaultLimits); a workflow that meets one fails.
	Limits spec.Limits
	// Images says what a container with no command runs (nil: the
	// built-in entries only).
	Images *images.Table
	// HTTPPolicy says where http templates may connect.
	HTTPPolicy executor.HTTPPolicy
	// Secrets reads the credentials artifacts name (accessKeySecret,
	// usernameSecret, ...); nil knows none.
	Secrets repos.Secrets
	// FetchUser, when set, is whom git runs as for git input artifacts
	// (the step user of an engine run as root): never root on behalf of
	// a workflow.
	FetchUser *fetch.User
	// Session, when set, makes the engine hold a session in the store
	// (see SessionConfig); New then fails with an *OwnedError while
	// another engine's session is live. nil: no session (tests).
	Session *SessionConfig
	// Artifacts is the artifact repository that key-only artifacts (and
	// outputs with no location) use; nil: a local one in
	// DataDir/artifacts, made on first use.
	Artifacts artifacts.Driver
	// NewExecutor, when set, replaces the local process executor; it is
	// given the callbacks through which steps report.
	NewExecutor func(started func(key string, at time.Time), done func(key string, r *executor.Result)) Executor
}

// Engine runs workflows.
type Engine struct {
	// xferBase is the parent of every run's artifact transfers, cancelled
	// when the engine detaches (fetchctx.go).
	xferBase context.Context
	xferStop context.CancelCauseFunc
	// bgGC runs deletions' artifact GC off the request path.
	bgGC    backgroundGC
	stepEnv []string
	httpPol executor.HTTPPolicy
	images  *images.Table
	// locator opens artifact locations and repos pins each workflow's
	// repository (artlocate.go).
	locator *repos.Locator
	repos   workflowRepos
	limits  spec.Limits
	store   store.Store
	exec    Executor
	dataDir string
	observe func(Update)
	log     *slog.Logger
	now     func() time.Time
	objects *objects
	locks   *locks.Manager
	group   *locks.Group
	owed    []domain.Grant
	dl      *deadlocks

	detached atomic.Bool
	// fenced says the session was lost: detached too, and running steps
	// are killed rather than left to their supervisor.
	fenced atomic.Bool
	sess   *session // nil without a session
	// shared is set on a shared store (see shared.go).
	shared *sharedState
	// adopted are workflows taken over from ended sessions at start, for
	// Resume.
	adoptedMu sync.Mutex
	adopted   []adoption
	health    storeHealth
	// reserver is the store's reserve for writes on a full disk (nil:
	// none); evict follows steps that could fill the data directory.
	reserver store.Reserver
	evict    evictor
	hub      hub
	cron     *cronScheduler // nil unless StartCron was called
	ttl      *ttlReaper     // nil unless StartTTL was called
	// archiveStop and archiveDone run the archive's retention (nil
	// unless StartArchiveTTL was called with a TTL).
	archiveStop, archiveDone chan struct{}
	// retryMu keeps two retries of one workflow from both starting it.
	retryMu sync.Mutex
	// suffix ends a generated name (randomSuffix; tests set their own).
	suffix func() string

	// artifacts is the default artifact repository (artifacts.go).
	artifacts artifactRepo
	// dataSlots bounds the data templates worked on at once (datajob.go).
	dataSlots chan struct{}

	mu     sync.Mutex
	runs   map[string]*run
	byName map[string]string // "<ns>/<name>" -> uid, to route lock grants
	wg     sync.WaitGroup
}

// New makes an engine and loads the applied objects from the store.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	e := &Engine{store: cfg.Store, dataDir: cfg.DataDir, observe: cfg.Observe, log: cfg.Logger, stepEnv: cfg.StepEnv, images: cfg.Images, httpPol: cfg.HTTPPolicy,
		now: cfg.Now, objects: newObjects(), runs: map[string]*run{}, byName: map[string]string{},
		limits: cfg.Limits.OrDefault(), suffix: randomSuffix, dataSlots: make(chan struct{}, maxDataJobs)}
	e.dl = newDeadlocks(e)
	e.reserver, _ = cfg.Store.(store.Reserver)
	e.xferBase, e.xferStop = context.WithCancelCause(context.Background())
	e.artifacts.driver, e.artifacts.dir, e.artifacts.log = cfg.Artifacts, filepath.Join(cfg.DataDir, "artifacts"), cfg.Logger
	e.locator = e.newLocator(cfg.Secrets)
	e.locator.GitUser = cfg.FetchUser
	// git works for a workflow: at its steps' priority, not the engine's.
	e.locator.GitStart = executor.StartAtStepPriority
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.objects.parallelism, e.objects.nsParallelism = cfg.Parallelism, cfg.NamespaceParallelism
	if cfg.NewExecutor != nil {
		e.exec = cfg.NewExecutor(e.stepStarted, e.stepDone)
		if w, ok := e.exec.(interface{ SetWaiting(func(key, why string)) }); ok {
			w.SetWaiting(e.stepWaiting)
		}
	} else {
		e.exec = &executor.Local{Self: cfg.Self, Done: e.stepDone, Started: e.stepStarted, Waiting: e.stepWaiting}
	}
	if cfg.Session != nil {
		// Before anything is read: what this engine loads must be its
		// own, and every write it makes is bound to its session.
		if err := e.openSession(ctx, cfg.Store, *cfg.Session); err != nil {
			return nil, err
		}
		go e.renewLoop()
	}
	if err := e.load(ctx); err != nil {
		_ = e.CloseSession(context.WithoutCancel(ctx))
		return nil, err
	}
	if e.isShared() {
		if err := e.startShared(ctx); err != nil {
			_ = e.CloseSession(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("listening to other nodes' changes: %w", err)
		}
	}
	return e, nil
}

// load reads the applied objects and rebuilds the lock queues.
func (e *Engine) load(ctx context.Context) error {
	if err := e.objects.load(ctx, e.store); err != nil {
		return err
	}
	if err := migrateDatabaseMutexes(ctx, e.store); err != nil {
		return err
	}
	e.locks = locks.New(lockq.Config{Policy: lockq.Backfill}, e.objects)
	// Grants a group transaction made to holders of no operation in it
	// (waiters queued earlier) reach their workflows as any other's.
	e.group = locks.NewGroup(e.locks, e.store, e.now, e.deliver)
	// And an idle workflow's round that a grant allows commits with the
	// grant itself (fold.go).
	e.group.Follow(e.followGrants)
	owed, err := e.locks.Load(ctx, e.store, e.now())
	if err != nil {
		return err
	}
	// Grants owed by the saved state go to their workflows once Resume
	// has started them.
	e.owed = owed
	return nil
}

// runOfHolder is the live run of the workflow a lock holder key names, or
// nil.
func (e *Engine) runOfHolder(holder string) *run {
	h, err := domain.ParseHolderKey(holder)
	if err != nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs[e.byName[h.Namespace+"/"+h.Workflow]]
}

// deliver pushes lock grants to the workflows that hold them.
func (e *Engine) deliver(grants []domain.Grant) {
	e.hub.locks.signal()
	// Every lock-state change ends here: a release or a lowered limit
	// may have closed a cycle of waits.
	e.dl.changed()
	for _, g := range grants {
		e.forgetGrants(g.Holder)
		if r := e.runOfHolder(g.Holder); r != nil {
			r.push(reconcile.Event{Kind: reconcile.LockGranted, Holder: g.Holder, Tokens: g.Tokens, At: e.now()}, "")
		}
	}
}

// Limits are the bounds on each workflow's loops and nodes, for lint to
// refuse what is sure to pass them.
func (e *Engine) Limits() spec.Limits { return e.limits }

// Resolver exposes the applied templates and ConfigMaps.
func (e *Engine) Resolver() reconcile.Resolver { return e.objects }

// Submit stores a new workflow and starts running it. A generateName gets
// a random suffix; the stored copy is returned.
func (e *Engine) Submit(ctx context.Context, wf *wfv1.Workflow) (*wfv1.Workflow, error) {
	out, err := e.SubmitAll(ctx, []*wfv1.Workflow{wf})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// SubmitAll stores several new workflows in one transaction, so either
// all are created or none is (a name taken, the caller gone), and only
// then starts them. The stored copies are returned in order.
func (e *Engine) SubmitAll(ctx context.Context, wfs []*wfv1.Workflow) ([]*wfv1.Workflow, error) {
	made := make([]*wfv1.Workflow, 0, len(wfs))
	for _, wf := range wfs {
		if err := ctx.Err(); err != nil {
			return nil, err // the caller is gone: nothing is created
		}
		// A deep copy: the run mutates its workflow, and callers submit
		// the same parsed manifest several times.
		c, err := e.newWorkflow(wf)
		if err != nil {
			return nil, err
		}
		made = append(made, c)
	}
	generated := make([]bool, len(wfs))
	for i, wf := range wfs {
		generated[i] = wf.Metadata.Name == ""
	}
	return e.createAll(ctx, made, generated)
}

// createAll stores new workflows, made by newWorkflow, in one
// transaction, then starts them; it returns copies of them in order.
// generated[i] says made[i]'s name was generated from its generateName.
//
// A generated name that is taken (27^5 suffixes: likely once a few
// thousand workflows share a prefix) is generated again and the
// transaction tried again, up to nameAttempts times. The apiserver
// answers AlreadyExists and leaves the retry to its client; here the
// engine names the workflow, so it retries. A fixed name that is taken
// stays AlreadyExists.
func (e *Engine) createAll(ctx context.Context, made []*wfv1.Workflow, generated []bool) ([]*wfv1.Workflow, error) {
	// The statements run under a context the caller cannot cancel: they
	// share the group's transaction with other workflows' changes, which
	// a caller gone must not roll back. Its own workflows are refused
	// (ctx.Err below), and the rest of the group commits.
	wctx := context.WithoutCancel(ctx)
	for attempt := 1; ; attempt++ {
		var taken int // index in made of the name the store refused; -1: none
		// Through the group (group commit): a submission that comes while
		// workflows' changes are being written goes with the next
		// transaction, instead of one of its own.
		_, err := e.group.Do(wctx, locks.Op{With: func(tx store.Tx, _ *locks.Result) error {
			taken = -1
			// One AppendEvents for all: the store writes several events
			// to a statement.
			evs := make([]store.Event, 0, len(made))
			for i, wf := range made {
				if err := ctx.Err(); err != nil {
					return err
				}
				m := &wf.Metadata
				if err := tx.CreateWorkflow(wctx, wf); err != nil {
					if errors.Is(err, store.ErrExists) {
						taken = i
						return err // the store's error names the workflow already
					}
					return fmt.Errorf("workflow %s/%s: %w", m.Namespace, m.Name, err)
				}
				evs = append(evs, store.Event{WorkflowUID: m.UID, At: *m.CreationTimestamp, Type: "Submitted", Message: "workflow submitted"})
			}
			if err := tx.AppendEvents(wctx, evs); err != nil {
				return fmt.Errorf("recording the submission of %d workflows: %w", len(made), err)
			}
			return nil
		}})
		if err == nil {
			break
		}
		if taken < 0 || taken >= len(generated) || !generated[taken] || !errors.Is(err, store.ErrExists) {
			return nil, err
		}
		m := &made[taken].Metadata
		if attempt == nameAttempts {
			return nil, fmt.Errorf("%w: generateName %q: %d generated names were all taken", err, m.GenerateName, nameAttempts)
		}
		m.Name = m.GenerateName + e.suffix()
	}
	outs := make([]*wfv1.Workflow, 0, len(made))
	for _, wf := range made {
		out, err := deepCopy(wf)
		if err != nil {
			return nil, err
		}
		e.hub.publish(Added, out)
		e.startCreated(wf)
		outs = append(outs, out)
	}
	return outs, nil
}

// nameAttempts bounds how many names SubmitAll generates for one
// workflow whose generated names are taken.
const nameAttempts = 8

// newWorkflow is a copy of wf as it is stored when submitted: named,
// in a namespace, pending.
func (e *Engine) newWorkflow(wf *wfv1.Workflow) (*wfv1.Workflow, error) {
	wf, err := deepCopy(wf)
	if err != nil {
		return nil, err
	}
	m := &wf.Metadata
	if m.Name == "" {
		if m.GenerateName == "" {
			return nil, errors.New("workflow has neither metadata.name nor metadata.generateName")
		}
		m.Name = m.GenerateName + e.suffix()
	}
	if m.Namespace == "" {
		m.Namespace = "default"
	}
	m.UID = newWorkflowUID()
	now := e.now()
	m.CreationTimestamp = &now
	wf.Kind, wf.APIVersion = wfv1.KindWorkflow, "argoproj.io/v1alpha1"
	wf.Status = wfv1.WorkflowStatus{Phase: wfv1.PhasePending}
	syncPhaseLabels(wf)
	syncExpiry(wf)
	syncNodeLabel(wf, e.nodeLabel())
	return wf, nil
}

func (e *Engine) start(wf *wfv1.Workflow, recovered []reconcile.Event) {
	e.startAdopting(wf, recovered, nil)
}

// startCreated is start for a workflow this engine's session has just
// stored whole (createAll): what the store holds is wf, so its first
// round writes only what that round changes (its status, or all of it
// after a relabel), not the document again.
func (e *Engine) startCreated(wf *wfv1.Workflow) {
	e.startRun(wf, nil, nil, false)
}

// startAdopting is start for a workflow with steps of an earlier engine
// still running: adopted maps their node IDs to their step directories.
// They are the run's before its first round, so that a kill it decides
// reaches them; follow then waits for each.
func (e *Engine) startAdopting(wf *wfv1.Workflow, recovered []reconcile.Event, adopted map[string]string) *run {
	return e.startRun(wf, recovered, adopted, true)
}

// startRun starts wf's loop; first says its first round writes the
// whole workflow (and so takes it for this engine's session) even when
// the round relabels nothing.
func (e *Engine) startRun(wf *wfv1.Workflow, recovered []reconcile.Event, adopted map[string]string, first bool) *run {
	r := &run{e: e, wf: wf, done: make(chan struct{}), outcome: &runOutcome{}, wake: make(chan struct{}, 1), first: first, live: map[string]string{},
		cache: reconcile.NewCache()}
	if len(adopted) > 0 {
		r.adopted = map[string]adoptedStep{}
		for id, dir := range adopted {
			r.adopted[id] = adoptedStep{dir: dir, kill: make(chan string, 1)}
		}
	}
	before, had := wf.Metadata.Labels[LabelNode]
	syncNodeLabel(wf, e.nodeLabel())
	if after, has := wf.Metadata.Labels[LabelNode]; after != before || has != had {
		r.first = true // the label stored is not the one it runs under
	}
	e.mu.Lock()
	e.runs[wf.Metadata.UID] = r
	e.byName[wf.Metadata.Namespace+"/"+wf.Metadata.Name] = wf.Metadata.UID
	e.mu.Unlock()
	e.wg.Add(1)
	r.mu.Lock()
	r.pending = append(r.pending, recovered...)
	r.kickLocked()
	r.mu.Unlock()
	return r
}

// nodeLabel is the value of LabelNode on the workflows this engine runs:
// its node name on a shared store, none otherwise.
func (e *Engine) nodeLabel() string {
	if e.isShared() {
		return e.sess.me.Node
	}
	return ""
}

// forget drops a run whose loop has ended.
func (e *Engine) forget(r *run) {
	m := &r.wf.Metadata
	// Archived while the run is still listed: the TTL reaper leaves a
	// running workflow alone, so the copy is taken before it may go.
	if !r.archived {
		e.archiveEnded(r.wf)
	}
	e.mu.Lock()
	delete(e.runs, m.UID)
	delete(e.byName, m.Namespace+"/"+m.Name)
	e.mu.Unlock()
	e.forgetRunGrants(m.UID)
	if !e.detached.Load() {
		e.ttlEnded(r.wf)
	}
	if m.Labels[CronLabel] != "" {
		e.cronChanged() // its history and active list changed
	}
}

// Wait blocks until the workflow with uid has finished (or ctx ends) and
// returns its final state: a copy of what its last commit stored when
// this engine ran it to its end, else the store's.
func (e *Engine) Wait(ctx context.Context, uid string) (*wfv1.Workflow, error) {
	wf, shared, err := e.Waiter(uid)(ctx)
	if shared && err == nil {
		wf, err = deepCopy(wf)
	}
	return wf, err
}

// Waiter is Wait for uid, its run looked up now: a caller that submits
// many workflows and waits for each in turn takes their waiters as it
// submits them, so that the ones that end before their turn still hand
// over their final state without a read of the store. shared says the
// workflow is the run's own (every waiter of it gets the same one): read
// it, never change it.
func (e *Engine) Waiter(uid string) func(context.Context) (wf *wfv1.Workflow, shared bool, err error) {
	e.mu.Lock()
	var done <-chan struct{}
	var out *runOutcome
	if r := e.runs[uid]; r != nil {
		done, out = r.done, r.outcome
	}
	e.mu.Unlock()
	return func(ctx context.Context) (*wfv1.Workflow, bool, error) {
		if done != nil {
			select {
			case <-done:
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
			if out.final != nil {
				return out.final, true, nil
			}
		}
		var wf *wfv1.Workflow
		ctx = context.WithoutCancel(ctx)
		err := e.store.View(ctx, func(tx store.Tx) error {
			var err error
			wf, err = tx.GetWorkflowByUID(ctx, uid)
			return err
		})
		return wf, false, err
	}
}

// Stop asks a workflow to stop (exit handlers still run); Terminate kills
// it outright. message, when set, becomes the workflow's message.
func (e *Engine) Stop(uid string, terminate bool, message string) bool {
	e.mu.Lock()
	r := e.runs[uid]
	e.mu.Unlock()
	if r == nil {
		return false
	}
	kind := reconcile.Stop
	if terminate {
		kind = reconcile.Terminate
	}
	r.push(reconcile.Event{Kind: kind, At: e.now()}, message)
	return true
}

// StopAll stops every running workflow.
func (e *Engine) StopAll(terminate bool, message string) {
	e.mu.Lock()
	uids := make([]string, 0, len(e.runs))
	for uid := range e.runs {
		uids = append(uids, uid)
	}
	e.mu.Unlock()
	for _, uid := range uids {
		e.Stop(uid, terminate, message)
	}
}

// Drain waits until every workflow goroutine has ended, then lets the
// step supervisor exit.
func (e *Engine) Drain() {
	e.stopCron()
	e.stopTTL()
	e.stopArchiveTTL()
	e.wg.Wait()
	switch {
	case e.fenced.Load():
		// The kills are queued: the supervisor ends once its steps have,
		// which a killed step does at once. A stuck one is not waited for
		// long.
		closed := make(chan struct{})
		go func() {
			_ = e.exec.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(fencedCloseGrace):
			e.log.Error("the step supervisor did not end after its steps were killed", "waited", fencedCloseGrace)
		}
	case !e.detached.Load():
		_ = e.exec.Close()
	}
}

// fencedCloseGrace bounds how long a fenced engine waits for its killed
// steps to end.
const fencedCloseGrace = 10 * time.Second

// Detach stops this engine without touching its workflows: their loops
// end where they are, running steps go on under their supervisor, and the
// next engine on the same store resumes them (Resume).
func (e *Engine) Detach() {
	e.stopCron()
	e.stopTTL()
	e.stopArchiveTTL()
	e.detached.Store(true)
	e.stopTransfers() // no transfer holds a loop from ending
	e.wakeRuns()
	e.wg.Wait()
	e.waitBackgroundGC()
	if !e.fenced.Load() {
		e.exec.Detach()
	}
}

// wakeRuns has every workflow's loop look at the engine's state: once
// detached, each ends where it is.
func (e *Engine) wakeRuns() {
	e.mu.Lock()
	runs := make([]*run, 0, len(e.runs))
	for _, r := range e.runs {
		runs = append(runs, r)
	}
	e.mu.Unlock()
	for _, r := range runs {
		r.push(reconcile.Event{}, "")
	}
}

// stepRun finds the run of a step key.
func (e *Engine) stepRun(key string) (*run, string) {
	k, err := domain.ParseStepKey(key)
	if err != nil {
		return nil, ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs[k.WorkflowUID], k.NodeID
}

// stepStarted routes a supervisor's "step is running" to its workflow.
func (e *Engine) stepStarted(key string, at time.Time) {
	e.volumesStarted(key)
	if r, nodeID := e.stepRun(key); r != nil {
		if at.IsZero() {
			at = e.now()
		}
		r.push(reconcile.Event{Kind: reconcile.StepStarted, NodeID: nodeID, At: at}, "")
	}
}

// stepWaiting routes an executor's word that a step waits to start, and
// why ("": it no longer waits).
func (e *Engine) stepWaiting(key, why string) {
	e.volumesWaiting(key, why != "")
	if r, nodeID := e.stepRun(key); r != nil {
		r.push(reconcile.Event{Kind: reconcile.StepWaiting, NodeID: nodeID, At: e.now(), Message: why}, "")
	}
}

// stepDone routes an executor result to its workflow.
func (e *Engine) stepDone(key string, res *executor.Result) {
	if r, nodeID := e.stepRun(key); r != nil {
		r.push(exited(nodeID, res), "")
	}
}

func randomSuffix() string {
	const letters = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

func newUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Abort kills every step of this engine and its processes at once,
// waiting only briefly for them to die: for a process that must end now
// (its shutdown grace ran out). An executor that cannot abort is left as
// it is.
func (e *Engine) Abort() executor.AbortReport {
	var rep executor.AbortReport
	if a, ok := e.exec.(interface{ Abort() executor.AbortReport }); ok {
		rep = a.Abort()
	}
	// Steps adopted from an earlier engine run under its supervisor, not
	// this engine's executor: their recorded groups are killed here.
	if dirs := e.adoptedDirs(); len(dirs) > 0 {
		more := executor.AbortSteps(dirs)
		rep.Killed += more.Killed
		rep.Left = append(rep.Left, more.Left...)
	}
	return rep
}
