package sim

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/semaflow/semaflow/internal/lockq"
)

// genScenario makes sequential workflows over up to four locks of limits
// 1 to 3, asking for one to three locks per step, under either policy.
func genScenario(t *rapid.T) Scenario {
	nl := rapid.IntRange(1, 4).Draw(t, "locks")
	sc := Scenario{}
	keys := make([]string, nl)
	for i := range keys {
		keys[i] = fmt.Sprintf("L%d", i)
		sc.Locks = append(sc.Locks, Lock{Key: keys[i], Limit: rapid.IntRange(1, 3).Draw(t, "limit")})
	}
	if rapid.Bool().Draw(t, "strict") {
		sc.Queue.Policy = lockq.Strict
	}
	sc.Queue.ReserveAfter = time.Duration(rapid.IntRange(1, 40).Draw(t, "reserve")) * time.Second
	nw := rapid.IntRange(1, 12).Draw(t, "workflows")
	for i := range nw {
		var steps []step
		for range rapid.IntRange(0, 3).Draw(t, "steps") {
			perm := rapid.Permutation(keys).Draw(t, "perm")
			ask := perm[:rapid.IntRange(1, min(3, len(perm))).Draw(t, "ask")]
			hold := time.Duration(rapid.IntRange(0, 20).Draw(t, "hold")) * time.Second
			steps = append(steps, step{ask, hold})
		}
		at := time.Duration(rapid.IntRange(0, 30).Draw(t, "at")) * time.Second
		sc.Workflows = append(sc.Workflows, seq(fmt.Sprintf("w%d", i), int32(rapid.IntRange(-2, 2).Draw(t, "prio")), at, steps...))
	}
	return sc
}

func TestRunProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		res, err := Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		// Every workflow runs to its end when every limit is above 0.
		if len(res.Unfinished) > 0 {
			t.Fatalf("unfinished: %v", res.Unfinished)
		}
		limits := map[string]int{}
		for _, l := range sc.Locks {
			limits[l.Key] = l.Limit
		}
		// Never more holders than the limit at any virtual time: sweep
		// each lock's holds, a release at t before a grant at t.
		type edge struct {
			at    time.Duration
			delta int
		}
		edges := map[string][]edge{}
		for _, h := range res.Holds {
			if !h.WasGranted || !h.WasReleased || h.Granted < h.Asked || h.Released < h.Granted {
				t.Fatalf("hold %+v is not asked, granted and released in order", h)
			}
			for _, k := range h.Locks {
				edges[k] = append(edges[k], edge{h.Granted, 1}, edge{h.Released, -1})
			}
		}
		for k, es := range edges {
			sort.Slice(es, func(i, j int) bool {
				if es[i].at != es[j].at {
					return es[i].at < es[j].at
				}
				return es[i].delta < es[j].delta
			})
			n := 0
			for _, e := range es {
				if n += e.delta; n > limits[k] {
					t.Fatalf("lock %s has %d holders at %v, limit %d", k, n, e.at, limits[k])
				}
			}
		}
		// Same input, same output.
		again, err := Run(sc)
		if err != nil || !reflect.DeepEqual(res, again) {
			t.Fatalf("a second run differs: %v", err)
		}
	})
}
