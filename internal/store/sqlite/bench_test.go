package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// benchWorkflow stores a workflow of n pending steps under one DAG node,
// as the engine's 1,000-task DAG has them.
func benchWorkflow(b *testing.B, db *DB, n int) *wfv1.Workflow {
	b.Helper()
	ctx := context.Background()
	wf := &wfv1.Workflow{}
	wf.Metadata.Namespace, wf.Metadata.Name, wf.Metadata.UID = "default", "dag", "uid-dag"
	wf.Status.Phase = wfv1.PhaseRunning
	wf.Status.Nodes = map[string]wfv1.NodeStatus{}
	root := wfv1.NodeStatus{ID: "dag", Name: "dag", Type: "DAG", Phase: wfv1.PhaseRunning, TemplateName: "main"}
	for i := range n {
		id := fmt.Sprintf("dag-%d", i)
		root.Children = append(root.Children, id)
		wf.Status.Nodes[id] = wfv1.NodeStatus{ID: id, Name: "dag.t" + fmt.Sprint(i), DisplayName: "t" + fmt.Sprint(i),
			Type: "Pod", TemplateName: "echo", Phase: wfv1.PhasePending, BoundaryID: "dag"}
	}
	wf.Status.Nodes["dag"] = root
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) }); err != nil {
		b.Fatal(err)
	}
	return wf
}

// BenchmarkCommitStep is the engine's commit of one step's change in a
// 1,000-node workflow: the status, the one changed node, the step's log
// path and two events, in one transaction.
func BenchmarkCommitStep(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "semaflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	wf := benchWorkflow(b, db, 1000)
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("dag-%d", i%1000)
		n := wf.Status.Nodes[id]
		at := start.Add(time.Duration(i) * time.Millisecond)
		n.Phase, n.StartedAt = wfv1.PhaseRunning, &at
		err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutStatus(ctx, wf); err != nil {
				return err
			}
			if err := tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{n}); err != nil {
				return err
			}
			if err := tx.PutLog(ctx, store.NodeLog{WorkflowUID: wf.Metadata.UID, NodeID: id, Path: "/data/steps/" + id + "/log"}); err != nil {
				return err
			}
			return tx.AppendEvents(ctx, []store.Event{
				{WorkflowUID: wf.Metadata.UID, NodeID: id, At: at, Type: "StepLaunched", Message: n.Name},
				{WorkflowUID: wf.Metadata.UID, NodeID: id, At: at, Type: "StepExited", Message: "Succeeded"},
			})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommitParent is a step's commit in a 1,000-task DAG as the
// engine makes it: the step's node and its parent's, whose progress
// changed but whose 1,000 children did not.
func BenchmarkCommitParent(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "semaflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	wf := benchWorkflow(b, db, 1000)
	root := wf.Status.Nodes["dag"]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("dag-%d", i%1000)
		n := wf.Status.Nodes[id]
		n.Phase = wfv1.PhaseSucceeded
		root.Progress = fmt.Sprintf("%d/1000", i%1000)
		err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutStatus(ctx, wf); err != nil {
				return err
			}
			return tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{n, root})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommitGrow is BenchmarkCommitParent while the DAG starts its
// tasks: each commit adds one child to the parent (up to 1,000, then it
// starts again from none).
func BenchmarkCommitGrow(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "semaflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	wf := benchWorkflow(b, db, 1000)
	root := wf.Status.Nodes["dag"]
	all := root.Children
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("dag-%d", i%1000)
		n := wf.Status.Nodes[id]
		n.Phase = wfv1.PhaseRunning
		root.Children = all[:i%1000+1]
		err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutStatus(ctx, wf); err != nil {
				return err
			}
			return tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{n, root})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommitHold is a lock operation's commit as the lock manager
// makes one: a claim, a waiter's grant (its hold, the waiter gone) and
// the release of an earlier hold.
func BenchmarkCommitHold(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "semaflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.PutLockLimit(ctx, "sem/default/cm/k", 10) }); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		holder := fmt.Sprintf("uid-%d/step", i)
		err := db.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.ClaimLocks(ctx, "bench"); err != nil {
				return err
			}
			seq, err := tx.NextLockSeq(ctx)
			if err != nil {
				return err
			}
			w := domain.QueuedWaiter{Waiter: domain.Waiter{Holder: holder, Locks: []string{"sem/default/cm/k"}, Created: now, Seq: seq}, Enqueued: now}
			if err := tx.PutWaiter(ctx, w); err != nil {
				return err
			}
			if err := tx.DeleteWaiter(ctx, holder); err != nil {
				return err
			}
			if err := tx.PutHold(ctx, holder, []domain.Token{{Lock: "sem/default/cm/k", Value: seq}}, store.HoldInfo{Since: now}); err != nil {
				return err
			}
			if i > 0 {
				return tx.DeleteHold(ctx, fmt.Sprintf("uid-%d/step", i-1))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// specOf gives wf a DAG template of n tasks, each after the one before:
// the document of the engine's 1,000-task DAG is about 50 KB.
func specOf(wf *wfv1.Workflow, n int) {
	dag := &wfv1.DAGTemplate{}
	for i := range n {
		task := wfv1.DAGTask{Name: fmt.Sprintf("t%d", i), Template: "echo"}
		if i > 0 {
			task.Dependencies = []string{fmt.Sprintf("t%d", i-1)}
		}
		dag.Tasks = append(dag.Tasks, task)
	}
	wf.Spec.Entrypoint = "main"
	wf.Spec.Templates = []wfv1.Template{{Name: "main", DAG: dag}}
}

// BenchmarkCommitStepSpec is BenchmarkCommitParent's commit in a
// workflow with its spec: the 1,000-task DAG's own document, which the
// status shares a row with, and the step's log and events.
func BenchmarkCommitStepSpec(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "semaflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	wf := &wfv1.Workflow{}
	specOf(wf, 1000)
	wf.Metadata.Namespace, wf.Metadata.Name, wf.Metadata.UID = "default", "dag", "uid-dag"
	wf.Status.Phase = wfv1.PhaseRunning
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) }); err != nil {
		b.Fatal(err)
	}
	root := wfv1.NodeStatus{ID: "dag", Name: "dag", Type: "DAG", Phase: wfv1.PhaseRunning, TemplateName: "main"}
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("dag-%d", i%1000)
		at := start.Add(time.Duration(i) * time.Millisecond)
		n := wfv1.NodeStatus{ID: id, Name: "dag.t" + fmt.Sprint(i%1000), Type: "Pod", TemplateName: "echo",
			Phase: wfv1.PhaseSucceeded, BoundaryID: "dag", StartedAt: &at}
		root.Progress = fmt.Sprintf("%d/1000", i%1000)
		wf.Status.Progress = root.Progress
		err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutStatus(ctx, wf); err != nil {
				return err
			}
			if err := tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{n, root}); err != nil {
				return err
			}
			if err := tx.PutLog(ctx, store.NodeLog{WorkflowUID: wf.Metadata.UID, NodeID: id, Path: "/data/steps/" + id + "/log"}); err != nil {
				return err
			}
			return tx.AppendEvents(ctx, []store.Event{{WorkflowUID: wf.Metadata.UID, NodeID: id, At: at, Type: "StepExited", Message: "Succeeded"}})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorkflowLife is what the store writes for a one-step
// workflow of the drain case (lock operations apart, see
// BenchmarkCommitHold): its create, its start (labels changed: the whole
// workflow), its step's launch and its end with the archive copy.
func BenchmarkWorkflowLife(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "semaflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := start.Add(time.Duration(i) * time.Millisecond)
		wf := &wfv1.Workflow{}
		specOf(wf, 1)
		wf.Spec.Templates[0].DAG = nil
		wf.Metadata.Namespace, wf.Metadata.Name, wf.Metadata.UID = "default", fmt.Sprintf("q-%d", i), fmt.Sprintf("uid-%d", i)
		wf.Metadata.CreationTimestamp = &at
		wf.Metadata.Labels = map[string]string{"workflows.argoproj.io/phase": "Pending"}
		uid := wf.Metadata.UID
		step := wfv1.NodeStatus{ID: uid, Name: wf.Metadata.Name, Type: "Pod", TemplateName: "main", Phase: wfv1.PhasePending}
		commits := []func(tx store.Tx) error{
			func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) },
			func(tx store.Tx) error {
				wf.Status.Phase, wf.Metadata.Labels["workflows.argoproj.io/phase"] = wfv1.PhaseRunning, "Running"
				wf.Status.StartedAt = &at
				if err := tx.PutWorkflow(ctx, wf); err != nil {
					return err
				}
				if err := tx.PutNodes(ctx, uid, []wfv1.NodeStatus{step}); err != nil {
					return err
				}
				if err := tx.PutLog(ctx, store.NodeLog{WorkflowUID: uid, NodeID: uid, Path: "/data/steps/" + uid + "/log"}); err != nil {
					return err
				}
				return tx.AppendEvents(ctx, []store.Event{{WorkflowUID: uid, NodeID: uid, At: at, Type: "StepLaunched", Message: step.Name}})
			},
			func(tx store.Tx) error {
				wf.Status.Phase, wf.Metadata.Labels["workflows.argoproj.io/phase"] = wfv1.PhaseSucceeded, "Succeeded"
				wf.Metadata.Labels["workflows.argoproj.io/completed"] = "true"
				wf.Status.FinishedAt = &at
				step.Phase = wfv1.PhaseSucceeded
				wf.Status.Nodes = map[string]wfv1.NodeStatus{uid: step}
				if err := tx.PutWorkflow(ctx, wf); err != nil {
					return err
				}
				if err := tx.PutNodes(ctx, uid, []wfv1.NodeStatus{step}); err != nil {
					return err
				}
				if err := tx.ArchiveWorkflow(ctx, wf); err != nil {
					return err
				}
				return tx.AppendEvents(ctx, []store.Event{{WorkflowUID: uid, NodeID: uid, At: at, Type: "StepExited", Message: "Succeeded"},
					{WorkflowUID: uid, At: at, Type: "WorkflowSucceeded"}})
			},
		}
		for _, c := range commits {
			if err := db.Update(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	}
}
