package spec

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// randomLockWorkflow is a workflow of n templates, each holding perTmpl
// mutexes drawn from locks and calling calls others at random, as the
// hostile tester's perf/b500.yaml (n 500, 1 of 200, 3 calls) and
// perf/d1.yaml (n 300, 8 of 2000, 4 calls): a graph whose paths
// multiply, so that only the walk's bounds end it.
func randomLockWorkflow(kind, name string, seed uint64, n, perTmpl, locks, calls int) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: %s\nmetadata:\n  name: %s\nspec:\n  entrypoint: t0\n  templates:\n", kind, name)
	for i := range n {
		fmt.Fprintf(&b, "  - name: t%d\n    synchronization: {mutexes: [", i)
		for j := range perTmpl {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "{name: l%d}", r.IntN(locks))
		}
		b.WriteString("]}\n    steps:\n    - ")
		for j := range calls {
			if j > 0 {
				b.WriteString("      ")
			}
			c := r.IntN(n)
			fmt.Fprintf(&b, "- {name: s%d, template: t%d}\n", c, c)
		}
	}
	return b.String()
}

// lintCost lints files as one set and returns the diagnostics, the bytes
// allocated and the time taken by Validate (parsing excluded).
func lintCost(t *testing.T, files ...[2]string) (Diagnostics, uint64, time.Duration) {
	t.Helper()
	var fs []*File
	for _, f := range files {
		fs = append(fs, Parse(f[0], []byte(f[1]), Options{}))
	}
	set := NewSet(fs...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	set.Validate()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return set.Diagnostics(), after.TotalAlloc - before.TotalAlloc, took
}

// The lock graph's walk is bounded for the whole set, not per document:
// the hostile tester's b500 (90 KB) took 2.3 s and 423 MB, d1 (96 KB)
// 23 s and 422 MB, c200 (200 documents, 3.5 MB) 265 s and 10 GB. Each
// now stays within a fixed allocation budget (the walk keeps no copy of
// its path per template it visits), says once that it stopped, and says
// the same thing on every run.
func TestLockGraphBoundedAcrossDocuments(t *testing.T) {
	b500 := randomLockWorkflow("Workflow", "b500", 1, 500, 1, 200, 3)
	d1 := randomLockWorkflow("Workflow", "d1", 2, 300, 8, 2000, 4)
	var many []string
	for i := range 40 {
		many = append(many, randomLockWorkflow("Workflow", fmt.Sprintf("c%d", i), uint64(10+i), 100, 1, 300, 3))
	}
	for _, c := range []struct {
		name  string
		files [][2]string
	}{
		{"b500", [][2]string{{"b500.yaml", b500}}},
		{"d1", [][2]string{{"d1.yaml", d1}}},
		{"40 documents in one file", [][2]string{{"c.yaml", strings.Join(many, "---\n")}}},
		{"40 files", func() [][2]string {
			var fs [][2]string
			for i, d := range many {
				fs = append(fs, [2]string{fmt.Sprintf("c%d.yaml", i), d})
			}
			return fs
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, alloc, took := lintCost(t, c.files...)
			t.Logf("%d diagnostics, %d MB allocated, %s", len(d), alloc>>20, took.Round(time.Millisecond))
			if alloc > 100<<20 {
				t.Errorf("lint allocated %d MB, want under 100 MB", alloc>>20)
			}
			stops := 0
			for _, x := range d {
				if strings.Contains(x.Message, "lock-order check stopped") {
					stops++
				}
			}
			if stops != 1 {
				t.Errorf("want one warning that the lock-order check stopped, got %d", stops)
			}
			again, _, _ := lintCost(t, c.files...)
			if d.Error() != again.Error() {
				t.Errorf("two lints of the same input differ")
			}
		})
	}
}
