package lockq

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// The scenarios of ../shared/reference/perf-anchors.md §1, so the figures
// compare with Argo's: workflow-level locks on default/ConfigMap/my-config/sem,
// holder keys default/wf-NNNNNNN, creation times 1 ms apart, priority 0;
// k workflows acquire, then n more queue.

const (
	semKey   = "default/ConfigMap/my-config/sem"
	sem2Key  = "default/ConfigMap/my-config/sem2"
	mutexKey = "default/Mutex/m"
)

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("default/wf-%07d", i)
	}
	return out
}

// fill makes a queue with k holders and n waiters on locks, all limit k
// (the mutex, if any, limit 1 like Argo's).
func fill(b *testing.B, k, n int, locks []string, names []string) *Queue {
	q := New(Config{})
	for _, l := range locks {
		lim := k
		if l == mutexKey {
			lim = 1
		}
		if _, err := q.SetLimit(l, lim, t0); err != nil {
			b.Fatal(err)
		}
	}
	for i := range k + n {
		if _, err := q.Add(domain.Waiter{Holder: names[i], Locks: locks, Created: t0.Add(time.Duration(i) * time.Millisecond)}, t0); err != nil {
			b.Fatal(err)
		}
	}
	return q
}

// BenchmarkNonHeadAttempt is anchor (a): the last queued waiter asks again
// while the semaphore is full. Argo re-runs its acquire path each time.
func BenchmarkNonHeadAttempt(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			names := ids(n + 1)
			q := fill(b, 1, n, []string{semKey}, names)
			last := domain.Waiter{Holder: names[n], Locks: []string{semKey}, Created: t0.Add(time.Duration(n) * time.Millisecond)}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if gs, _ := q.Add(last, t0); len(gs) != 0 {
					b.Fatal("granted while full")
				}
			}
		})
	}
}

// BenchmarkDrain is anchor (b): n times, release the oldest holder and let
// the head waiter acquire. ns/wf is the cost per workflow.
func BenchmarkDrain(b *testing.B) {
	scenarios := []struct {
		name  string
		k     int
		locks []string
	}{
		{"1sem/k=1", 1, []string{semKey}},
		{"1sem/k=10", 10, []string{semKey}},
		{"2sem+mutex/k=1", 1, []string{semKey, sem2Key, mutexKey}},
	}
	for _, sc := range scenarios {
		for _, n := range []int{1000, 100000} {
			b.Run(fmt.Sprintf("%s/n=%d", sc.name, n), func(b *testing.B) {
				names := ids(sc.k + n)
				b.ReportAllocs()
				var total time.Duration
				for range b.N {
					b.StopTimer()
					q := fill(b, sc.k, n, sc.locks, names)
					fifo := make([]string, 0, sc.k+n)
					for i := range min(sc.k, len(names)) {
						if sc.locks[len(sc.locks)-1] == mutexKey && i > 0 {
							break
						}
						fifo = append(fifo, names[i])
					}
					b.StartTimer()
					start := time.Now()
					for head := 0; head < len(fifo); head++ {
						gs, ok := q.Release(fifo[head], t0)
						if !ok {
							b.Fatalf("%s was not holding", fifo[head])
						}
						for _, g := range gs {
							fifo = append(fifo, g.Holder)
						}
					}
					total += time.Since(start)
					if len(fifo) != sc.k+n && sc.locks[len(sc.locks)-1] != mutexKey {
						b.Fatalf("drained %d of %d", len(fifo), sc.k+n)
					}
				}
				b.ReportMetric(float64(total.Nanoseconds())/float64(b.N)/float64(n), "ns/wf")
			})
		}
	}
}

// BenchmarkUncontended is one acquire and its release on a free lock set.
func BenchmarkUncontended(b *testing.B) {
	for _, locks := range [][]string{{semKey}, {semKey, sem2Key, mutexKey}} {
		b.Run(fmt.Sprintf("locks=%d", len(locks)), func(b *testing.B) {
			q := New(Config{})
			for _, l := range locks {
				_, _ = q.SetLimit(l, 1, t0)
			}
			w := domain.Waiter{Holder: "default/wf-0000001", Locks: locks, Created: t0}
			b.ReportAllocs()
			for range b.N {
				if gs, _ := q.Add(w, t0); len(gs) != 1 {
					b.Fatal("not granted")
				}
				q.Release(w.Holder, t0)
			}
		})
	}
}

// BenchmarkMemoryPerWaiter is anchor (c): retained heap per queued waiter.
func BenchmarkMemoryPerWaiter(b *testing.B) {
	for _, sc := range []struct {
		name  string
		k     int
		locks []string
	}{{"k=1", 1, []string{semKey}}, {"k=10", 10, []string{semKey}}, {"3locks", 1, []string{semKey, sem2Key, mutexKey}}} {
		b.Run(sc.name, func(b *testing.B) {
			const n = 100000
			names := ids(sc.k + n)
			var perWaiter float64
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				q := fill(b, sc.k, n, sc.locks, names)
				runtime.GC()
				runtime.ReadMemStats(&after)
				perWaiter = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				runtime.KeepAlive(q)
			}
			b.ReportMetric(perWaiter, "B/waiter")
		})
	}
}
