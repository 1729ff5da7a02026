package locks_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/postgres"
	"github.com/semaflow/semaflow/internal/store/sqlite"
	"github.com/semaflow/semaflow/internal/testkit"
)

// benchNode is one engine's lock manager on its own store handle.
type benchNode struct {
	db store.Store
	m  *locks.Manager
}

// countingTx counts the rebuilds a manager makes: it reads the whole lock
// state (LoadLocks) only when it rebuilds its queues.
type countingTx struct {
	store.Tx
	loads *atomic.Int64
}

func (t countingTx) LoadLocks(ctx context.Context) (*store.LockState, error) {
	t.loads.Add(1)
	return t.Tx.LoadLocks(ctx)
}

// hotSemaphore drives request -> granted -> release through Manager.Apply,
// one store transaction per operation, with perNode requesters on each of
// nodes, all on one semaphore of limit 10, until b.N holders were granted
// and released. A holder learns of a grant from the result of whichever
// Apply made it, on any node (in the engine the store's notice carries
// it; here a channel does, so the figure is the lock path alone).
func hotSemaphore(b *testing.B, nodes []benchNode, perNode int) {
	ctx := context.Background()
	cms := limitCM(10)
	for i := range nodes {
		nodes[i].m = locks.New(lockq.Config{Policy: lockq.Backfill}, cms)
		if _, err := nodes[i].m.Load(ctx, nodes[i].db, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	var (
		waiting  sync.Map // holder -> chan struct{}
		cycles   atomic.Int64
		txs      atomic.Int64
		loads    atomic.Int64
		stop     = make(chan struct{})
		stopOnce sync.Once
		wg       sync.WaitGroup
	)
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	apply := func(n benchNode, reqs []locks.Request, rel []string) error {
		var res *locks.Result
		err := n.db.Update(ctx, func(tx store.Tx) error {
			var err error
			res, err = n.m.Apply(ctx, countingTx{tx, &loads}, reqs, rel, time.Now())
			return err
		})
		if err != nil {
			return err
		}
		txs.Add(1)
		for _, g := range res.Grants {
			if ch, ok := waiting.Load(g.Holder); ok {
				select {
				case ch.(chan struct{}) <- struct{}{}:
				default:
				}
			}
		}
		return nil
	}
	requester := func(node, r int) {
		defer wg.Done()
		n := nodes[node]
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h := fmt.Sprintf("default/n%d-r%02d-%07d", node, r, i)
			ch := make(chan struct{}, 1)
			waiting.Store(h, ch)
			if err := apply(n, []locks.Request{{Holder: h, Locks: req(h, 0, 0).Locks, Created: time.Now()}}, nil); err != nil {
				b.Error(err)
				halt()
				return
			}
			select {
			case <-ch:
			case <-stop:
				return
			}
			waiting.Delete(h)
			if err := apply(n, nil, []string{h}); err != nil {
				b.Error(err)
				halt()
				return
			}
			if cycles.Add(1) >= int64(b.N) {
				halt()
			}
		}
	}
	loads.Store(0)
	b.ResetTimer()
	start := time.Now()
	for node := range nodes {
		for r := range perNode {
			wg.Add(1)
			go requester(node, r)
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(cycles.Load())/elapsed.Seconds(), "grants/s")
	b.ReportMetric(float64(txs.Load())/elapsed.Seconds(), "tx/s")
	b.ReportMetric(float64(loads.Load())/float64(txs.Load()), "rebuilds/tx")
}

// pgNodes opens n handles of one new database, each its own pool, as n
// engine nodes would.
func pgNodes(b *testing.B, n int) []benchNode {
	dsn := testkit.NewDatabase(b)
	nodes := make([]benchNode, n)
	for i := range nodes {
		s, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		nodes[i].db = s
	}
	return nodes
}

// BenchmarkHotSemaphore measures grant+release throughput through one
// semaphore of limit 10: three lock managers on three handles of one
// PostgreSQL database (three nodes), ten requesters each; then one node
// with all thirty, and one SQLite engine with all thirty, in the same run.
// Each operation is one store transaction. Run it with -benchtime Nx: N is
// the number of holders granted and released.
func BenchmarkHotSemaphore(b *testing.B) {
	b.Run("postgres-3nodes", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 3), 10) })
	b.Run("postgres-1node", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 1), 30) })
	b.Run("sqlite-1node", func(b *testing.B) {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		hotSemaphore(b, []benchNode{{db: s}}, 30)
	})
}
