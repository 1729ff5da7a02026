package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/storetest"
	"github.com/semaflow/semaflow/internal/testkit"
)

func TestMain(m *testing.M) { testkit.PostgresMain(m) }

// handle is a Store as the conformance suite gets it: with a way to cut
// the connections its Listen calls hold.
type handle struct {
	*Store
	dsn string
}

// CutListeners ends, from another connection, every listening
// connection on the handle's database, as a restarting server would.
func (h handle) CutListeners(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, h.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, listenAppName).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no listening connection to cut")
	}
}

// openTest opens a handle on dsn, closed when the test ends.
func openTest(t *testing.T, dsn string, o Options) handle {
	t.Helper()
	s, err := OpenWith(context.Background(), dsn, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return handle{Store: s, dsn: dsn}
}

// TestConformance runs the store conformance suite on PostgreSQL: each
// check gets a database of its own, and a second handle on it is another
// Store, with its own pool, as another node would open it.
func TestConformance(t *testing.T) {
	start := time.Now()
	storetest.Run(t, func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
		dsn := testkit.NewDatabase(t)
		open := func(t *testing.T) store.Store { return openTest(t, dsn, Options{MaxConns: 4}) }
		return open(t), open
	})
	t.Cleanup(func() { t.Logf("conformance suite: %s", time.Since(start).Round(time.Millisecond)) })
}
