package app

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

const semaphoreWorkflow = `apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {sem: "%d"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: q-}
spec:
  entrypoint: main
  synchronization:
    semaphores: [{configMapKeyRef: {name: limits, key: sem}}]
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`

// queueOn submits n workflows that share one semaphore of the given limit
// and returns them once all have finished, with the wall time.
func queueOn(b *testing.B, n, limit int) ([]*wfv1.Workflow, time.Duration) {
	ctx := context.Background()
	f := spec.Parse("q.yaml", []byte(fmt.Sprintf(semaphoreWorkflow, limit)), spec.Options{})
	if d := f.AllDiags(); d.HasErrors() {
		b.Fatal(d)
	}
	l, err := Start(ctx, Options{Self: binary})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	if err := l.Engine.Apply(ctx, []*wfv1.ConfigMap{f.Docs[0].ConfigMap}, nil); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var uids []string
	for range n {
		sub, err := l.Engine.Submit(ctx, f.Docs[1].Workflow)
		if err != nil {
			b.Fatal(err)
		}
		uids = append(uids, sub.Metadata.UID)
	}
	var out []*wfv1.Workflow
	for _, uid := range uids {
		wf, err := l.Engine.Wait(ctx, uid)
		if err != nil {
			b.Fatal(err)
		}
		if wf.Status.Phase != wfv1.PhaseSucceeded {
			b.Fatalf("%s: %s %s", wf.Metadata.Name, wf.Status.Phase, wf.Status.Message)
		}
		out = append(out, wf)
	}
	return out, time.Since(start)
}

// BenchmarkLockHandoff queues 100 workflows on a mutex (a semaphore of
// limit 1) and measures each handoff: from the moment the holder's step
// process ended to the moment the next holder's step process was running,
// both by the supervisor's clock.
func BenchmarkLockHandoff(b *testing.B) {
	for range b.N {
		wfs, _ := queueOn(b, 100, 1)
		gaps := handoffGaps(b, wfs)
		b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds())/1000, "ms-median-handoff")
		b.ReportMetric(float64(gaps[len(gaps)*99/100].Microseconds())/1000, "ms-p99-handoff")
	}
}

// handoffGaps returns, sorted, the gaps between one step's end and the
// next one's start, for workflows that ran one at a time.
func handoffGaps(b *testing.B, wfs []*wfv1.Workflow) []time.Duration {
	type span struct{ start, end time.Time }
	var spans []span
	for _, wf := range wfs {
		for _, n := range wf.Status.Nodes {
			if n.Type == "Pod" && n.StartedAt != nil && n.FinishedAt != nil {
				spans = append(spans, span{*n.StartedAt, *n.FinishedAt})
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	var gaps []time.Duration
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			b.Fatalf("step %d started before step %d ended: the mutex was held twice", i, i-1)
		}
		gaps = append(gaps, spans[i].start.Sub(spans[i-1].end))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	return gaps
}

// BenchmarkDrain1000 queues 1,000 workflows on one semaphore of limit 10
// and compares the wall time per workflow with the spawn floor (10 in
// flight) measured in the same run.
func BenchmarkDrain1000(b *testing.B) {
	floor := spawnFloor(b, 1000, 10)
	b.ResetTimer()
	for range b.N {
		_, wall := queueOn(b, 1000, 10)
		per := wall / 1000
		b.ReportMetric(float64(per.Microseconds())/1000, "ms/workflow")
		b.ReportMetric(float64(floor.Microseconds())/1000, "floor-ms/spawn")
		b.ReportMetric(float64(per-floor)/float64(floor), "engine/floor")
	}
}
