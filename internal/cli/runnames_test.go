package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// storedWF is a workflow as an earlier run stored it.
func storedWF(name, generateName, entrypoint, phase string) *wfv1.Workflow {
	now := time.Now()
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Name: name, GenerateName: generateName, Namespace: "default",
		UID: "uid-" + name, CreationTimestamp: &now}}
	wf.Spec.Entrypoint = entrypoint
	wf.Status.Phase = phase
	return wf
}

func heldDB(t *testing.T, wfs ...*wfv1.Workflow) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "held.db")
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(ctx, func(tx store.Tx) error {
		for _, wf := range wfs {
			if err := tx.CreateWorkflow(ctx, wf); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func manifestDoc(name, generateName, entrypoint string) *spec.Document {
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Name: name, GenerateName: generateName}}
	wf.Spec.Entrypoint = entrypoint
	return &spec.Document{File: "w.yaml", Pos: spec.Pos{Line: 1}, Workflow: wf}
}

// Every name the copies take is looked up before the engine starts: this
// command's copies (same spec), finished or not, are kept for the run to
// report or find resumed; one of another spec, finished or unfinished,
// refuses the run, named, with how many more are held likewise.
func TestCheckHeldNamesSortsTheCopiesFromOtherWorkflows(t *testing.T) {
	ctx := context.Background()
	db := heldDB(t,
		storedWF("w-1", "", "main", wfv1.PhaseSucceeded),
		storedWF("w-2", "", "main", wfv1.PhaseRunning),
		storedWF("w-4", "", "other", wfv1.PhaseRunning),
		storedWF("w-5", "", "other", wfv1.PhaseSucceeded),
		storedWF("gen-a", "gen-", "main", wfv1.PhaseRunning),
		storedWF("gen-b", "gen-", "main", wfv1.PhaseSucceeded),
		storedWF("gen-c", "gen-", "other", wfv1.PhaseRunning))
	gen := manifestDoc("", "gen-", "main")
	h, err := checkHeldNames(ctx, db, []*spec.Document{manifestDoc("w", "", "main"), gen}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.byName) != 2 || h.byName["default/w-1"] == nil || h.byName["default/w-2"] == nil {
		t.Fatalf("this command's copies: %v", h.byName)
	}
	if got := h.generated[gen.Workflow]; len(got) != 1 || got[0] != "uid-gen-a" {
		t.Fatalf("unfinished generateName workflows of the same spec: %v", got)
	}
	_, err = checkHeldNames(ctx, db, []*spec.Document{manifestDoc("w", "", "main")}, 5)
	if err == nil {
		t.Fatal("w-4 and w-5 of another spec were not refused")
	}
	for _, want := range []string{"default/w-4 already exists", "Running, left unfinished", "copy 4 (of --count 5)", "1 more of its copy names", "spec differs", "another --db", "nothing was run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if _, err := checkHeldNames(ctx, filepath.Join(t.TempDir(), "new.db"), []*spec.Document{manifestDoc("w", "", "main")}, 5); err != nil {
		t.Fatalf("a --db not there yet: %v", err)
	}
}

// Ten thousand copies are looked up in one read transaction.
func TestCheckHeldNamesTenThousandCopies(t *testing.T) {
	ctx := context.Background()
	var wfs []*wfv1.Workflow
	for i := range 10000 {
		wfs = append(wfs, storedWF(fmt.Sprintf("w-%d", i+1), "", "main", wfv1.PhaseSucceeded))
	}
	db := heldDB(t, wfs...)
	h, err := checkHeldNames(ctx, db, []*spec.Document{manifestDoc("w", "", "main")}, 10000)
	if err != nil || len(h.byName) != 10000 {
		t.Fatalf("%d copies found held, %v", len(h.byName), err)
	}
}
