package locks_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
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

// phases adds up where the transactions of a benchmark spend their time,
// in nanoseconds: begin (Update called to fn running), claim (ClaimLocks,
// mostly waiting for the row lock other nodes' claims hold), load
// (LoadLocks: a rebuild), seq (NextLockSeq), decide (the rest of fn: the
// manager's own work and its deferred writes), commit (fn returned to
// Update returned: the writes, notices and COMMIT). From the claim to the
// commit's end every node's lock decisions wait.
type phases struct {
	txs, loads                                 atomic.Int64
	begin, claim, load, seq, decide, commitDur atomic.Int64
}

func (p *phases) report(b *testing.B) {
	n := float64(p.txs.Load())
	us := func(v *atomic.Int64) float64 { return float64(v.Load()) / n / 1000 }
	b.ReportMetric(float64(p.loads.Load())/n, "rebuilds/tx")
	b.ReportMetric(us(&p.begin), "µs-begin/tx")
	b.ReportMetric(us(&p.claim), "µs-claim/tx")
	b.ReportMetric(us(&p.load), "µs-load/tx")
	b.ReportMetric(us(&p.seq), "µs-seq/tx")
	b.ReportMetric(us(&p.decide), "µs-decide/tx")
	b.ReportMetric(us(&p.commitDur), "µs-commit/tx")
}

// timedTx times a transaction's lock statements.
type timedTx struct {
	store.Tx
	p     *phases
	inner *atomic.Int64 // time in the timed statements of this transaction
}

func (t timedTx) ClaimLocks(ctx context.Context, writer string) (store.LockGeneration, error) {
	start := time.Now()
	g, err := t.Tx.ClaimLocks(ctx, writer)
	d := int64(time.Since(start))
	t.p.claim.Add(d)
	t.inner.Add(d)
	return g, err
}

func (t timedTx) LoadLocks(ctx context.Context) (*store.LockState, error) {
	start := time.Now()
	st, err := t.Tx.LoadLocks(ctx)
	d := int64(time.Since(start))
	t.p.loads.Add(1)
	t.p.load.Add(d)
	t.inner.Add(d)
	return st, err
}

func (t timedTx) NextLockSeq(ctx context.Context) (uint64, error) {
	start := time.Now()
	v, err := t.Tx.NextLockSeq(ctx)
	d := int64(time.Since(start))
	t.p.seq.Add(d)
	t.inner.Add(d)
	return v, err
}

// timedStore times the transactions of one node.
type timedStore struct {
	store.Store
	p       *phases
	updates atomic.Int64
}

func (s *timedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.updates.Add(1)
	s.p.txs.Add(1)
	called := time.Now()
	var fnEnd time.Time
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		began := time.Now()
		s.p.begin.Add(int64(began.Sub(called)))
		var inner atomic.Int64
		err := fn(timedTx{tx, s.p, &inner})
		fnEnd = time.Now()
		s.p.decide.Add(int64(fnEnd.Sub(began)) - inner.Load())
		return err
	})
	if !fnEnd.IsZero() {
		s.p.commitDur.Add(int64(time.Since(fnEnd)))
	}
	return err
}

// hotSemaphore drives request -> granted -> release through the lock
// manager, with perNode requesters on each of nodes, all on one
// semaphore of limit 10, until b.N holders were granted and released.
// Each operation is Manager.Apply in a store transaction of its own, or,
// grouped, a locks.Group's operation (the operations a node's requesters
// ask for while its transaction runs share the next one). A holder
// learns of a grant from the result of whichever transaction made it, on
// any node (in the engine the store's notice carries it; here a channel
// does, so the figure is the lock path alone).
//
// parked waiters are queued first on another semaphore, of limit 0: they
// are never granted, but every rebuild reads them.
func hotSemaphore(b *testing.B, nodes []benchNode, perNode int, grouped bool, parked int) {
	ctx := context.Background()
	cms := limitCM(10)
	cms["default/limits"].Data["paused"] = "0"
	var (
		waiting  sync.Map // holder -> chan struct{}
		cycles   atomic.Int64
		ops      atomic.Int64
		p        phases
		stop     = make(chan struct{})
		stopOnce sync.Once
		wg       sync.WaitGroup
	)
	signal := func(gs []domain.Grant) {
		for _, g := range gs {
			if ch, ok := waiting.Load(g.Holder); ok {
				select {
				case ch.(chan struct{}) <- struct{}{}:
				default:
				}
			}
		}
	}
	dbs := make([]*timedStore, len(nodes))
	groups := make([]*locks.Group, len(nodes))
	for i := range nodes {
		dbs[i] = &timedStore{Store: nodes[i].db, p: &p}
		nodes[i].m = locks.New(lockq.Config{Policy: lockq.Backfill}, cms)
		if _, err := nodes[i].m.Load(ctx, nodes[i].db, time.Now()); err != nil {
			b.Fatal(err)
		}
		groups[i] = locks.NewGroup(nodes[i].m, dbs[i], time.Now, signal)
	}
	for i := 0; i < parked; i += 500 {
		var reqs []locks.Request
		for j := i; j < min(parked, i+500); j++ {
			reqs = append(reqs, locks.Request{Holder: fmt.Sprintf("default/parked-%06d", j), Locks: []spec.LockRef{pausedRef}, Created: time.Now()})
		}
		if err := nodes[0].db.Update(ctx, func(tx store.Tx) error {
			_, err := nodes[0].m.Apply(ctx, tx, reqs, nil, time.Now())
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	apply := func(node int, reqs []locks.Request, rel []string) error {
		var res *locks.Result
		var err error
		if grouped {
			res, err = groups[node].Do(ctx, locks.Op{Requests: reqs, Releases: rel})
		} else {
			err = dbs[node].Update(ctx, func(tx store.Tx) error {
				var err error
				res, err = nodes[node].m.Apply(ctx, tx, reqs, rel, time.Now())
				return err
			})
		}
		if err != nil {
			return err
		}
		ops.Add(1)
		signal(res.Grants)
		return nil
	}
	requester := func(node, r int) {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h := fmt.Sprintf("default/n%d-r%02d-%07d", node, r, i)
			ch := make(chan struct{}, 1)
			waiting.Store(h, ch)
			if err := apply(node, []locks.Request{{Holder: h, Locks: req(h, 0, 0).Locks, Created: time.Now()}}, nil); err != nil {
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
			if err := apply(node, nil, []string{h}); err != nil {
				b.Error(err)
				halt()
				return
			}
			if cycles.Add(1) >= int64(b.N) {
				halt()
			}
		}
	}
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
	var txs int64
	for _, db := range dbs {
		txs += db.updates.Load()
	}
	b.ReportMetric(float64(cycles.Load())/elapsed.Seconds(), "grants/s")
	b.ReportMetric(float64(txs)/elapsed.Seconds(), "tx/s")
	b.ReportMetric(float64(ops.Load())/float64(txs), "ops/tx")
	p.report(b)
}

var pausedRef = spec.LockRef{Key: "default/ConfigMap/limits/paused", Kind: spec.LockConfigMap, Namespace: "default",
	ConfigMap: "limits", ConfigMapKey: "paused"}

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
	b.Run("postgres-3nodes", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 3), 10, false, 0) })
	b.Run("postgres-3nodes-grouped", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 3), 10, true, 0) })
	b.Run("postgres-3nodes-grouped-5000parked", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 3), 10, true, 5000) })
	b.Run("postgres-1node-grouped-5000parked", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 1), 30, true, 5000) })
	b.Run("postgres-3x100-grouped", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 3), 100, true, 0) })
	b.Run("postgres-3x100", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 3), 100, false, 0) })
	b.Run("postgres-1node", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 1), 30, false, 0) })
	b.Run("postgres-1node-grouped", func(b *testing.B) { hotSemaphore(b, pgNodes(b, 1), 30, true, 0) })
	b.Run("sqlite-1node", func(b *testing.B) {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		hotSemaphore(b, []benchNode{{db: s}}, 30, false, 0)
	})
	b.Run("sqlite-1node-grouped", func(b *testing.B) {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		hotSemaphore(b, []benchNode{{db: s}}, 30, true, 0)
	})
}
