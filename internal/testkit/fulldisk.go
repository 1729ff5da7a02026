package testkit

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/store"
)

// errFull stands for a commit the disk had no room for, as the SQLite
// driver reports it.
var errFull = fmt.Errorf("database /data/sf.db: %w", store.ErrNoSpace)

// FullStore refuses every write while Full is set, as a full disk does:
// the transaction's work runs (the lock manager changes its queues) and
// is then rolled back, as when the commit itself fails. Refused counts
// the refusals.
type FullStore struct {
	store.Store
	Full    atomic.Bool
	Refused atomic.Int64
}

func (s *FullStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if !s.Full.Load() {
		return s.Store.Update(ctx, fn)
	}
	s.Refused.Add(1)
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errFull
	})
	return err
}

// HeldExec runs no process: a step runs until the test finishes it (or
// the engine kills it), and its result reaches the engine only through
// done, as when the supervisor could not write result.json.
type HeldExec struct {
	started func(string, time.Time)
	done    func(string, *executor.Result)
	mu      sync.Mutex
	running map[string]bool
	// StartFull refuses every start as a full disk refuses the step's
	// directory; StartRefused counts the refusals.
	StartFull    atomic.Bool
	StartRefused atomic.Int64
}

func (h *HeldExec) Start(j executor.Job) error {
	if h.StartFull.Load() {
		h.StartRefused.Add(1)
		return fmt.Errorf("step directory %s: %w", j.Dir, syscall.ENOSPC)
	}
	h.mu.Lock()
	h.running[j.Key] = true
	h.mu.Unlock()
	go h.started(j.Key, time.Now())
	return nil
}

func (h *HeldExec) end(key string, r *executor.Result) {
	h.mu.Lock()
	was := h.running[key]
	delete(h.running, key)
	h.mu.Unlock()
	if was {
		h.done(key, r)
	}
}

func (h *HeldExec) Kill(key, reason string) {
	now := time.Now()
	go h.end(key, &executor.Result{ExitCode: -1, Killed: reason, Started: now, Finished: now})
}
func (h *HeldExec) Close() error { return nil }
func (h *HeldExec) Detach()      {}

// NewHeldExec makes a HeldExec; pass its Executor as an engine's
// NewExecutor.
func NewHeldExec() *HeldExec { return &HeldExec{running: map[string]bool{}} }

// Executor hands h to an engine (engine.Config.NewExecutor).
func (h *HeldExec) Executor(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
	h.started, h.done = started, done
	return h
}

// Running says whether the step with key runs.
func (h *HeldExec) Running(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.running[key]
}

// Keys are the keys of the steps that run.
func (h *HeldExec) Keys() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var keys []string
	for k := range h.running {
		keys = append(keys, k)
	}
	return keys
}

// WaitRunning waits until the step of the workflow with uid runs and
// returns its key.
func (h *HeldExec) WaitRunning(t *testing.T, uid string) string {
	t.Helper()
	return h.WaitRunningWithin(t, uid, 5*time.Second)
}

// WaitRunningWithin is WaitRunning with its own deadline.
func (h *HeldExec) WaitRunningWithin(t *testing.T, uid string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, k := range h.Keys() {
			if strings.HasPrefix(k, uid) && len(k) > len(uid) {
				return k
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the step of %s never started", uid)
	return ""
}

// Succeed ends the step with key as a success with output out=42.
func (h *HeldExec) Succeed(key string) {
	now := time.Now()
	h.end(key, &executor.Result{Stdout: "done\n", Outputs: map[string]string{"out": "42"}, Started: now, Finished: now})
}

// StartFullEngine is an engine on a FullStore whose steps are held.
func StartFullEngine(t *testing.T) (*engine.Engine, *FullStore, *HeldExec) {
	t.Helper()
	fs := &FullStore{Store: OpenStore(t)}
	he := &HeldExec{running: map[string]bool{}}
	eng := NewEngine(t, fs, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		he.started, he.done = started, done
		return he
	})
	return eng, fs, he
}
