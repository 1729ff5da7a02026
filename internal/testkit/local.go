package testkit

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// Options shape the engine Open assembles.
type Options struct {
	// DB is the SQLite file; empty means a new one in a temporary
	// directory that Close removes.
	DB string
	// DataDir holds step directories and logs; empty means DB + ".data".
	DataDir string
}

// Local is an engine running real steps on a SQLite store, as
// app.OpenLocal assembles it for `semaflow run` without --step-user (an
// isolation that only matters with a step user is left out).
type Local struct {
	Engine  *engine.Engine
	Store   store.Store
	DataDir string
	temp    string
}

// Open assembles an engine whose steps run under Binary; the caller
// closes it (some close it at once, inside a benchmark's loop). A failure
// ends the test.
func Open(tb testing.TB, o Options) *Local {
	tb.Helper()
	ctx := context.Background()
	l := &Local{}
	db := o.DB
	if db == "" {
		temp, err := os.MkdirTemp("", "semaflow-test-")
		if err != nil {
			tb.Fatal(err)
		}
		l.temp = temp
		db = filepath.Join(temp, "semaflow.db")
	}
	l.DataDir = o.DataDir
	if l.DataDir == "" {
		l.DataDir = db + ".data"
	}
	if err := os.MkdirAll(l.DataDir, 0o700); err != nil {
		l.fail(tb, err)
	}
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		l.fail(tb, err)
	}
	l.Store = s
	l.Engine, err = engine.New(ctx, engine.Config{Store: s, DataDir: l.DataDir, Self: Binary(tb)})
	if err != nil {
		_ = s.Close()
		l.fail(tb, err)
	}
	return l
}

func (l *Local) fail(tb testing.TB, err error) {
	tb.Helper()
	l.removeTemp()
	tb.Fatal(err)
}

// removeTemp removes the temporary directory of a database Open made.
func (l *Local) removeTemp() {
	if l.temp != "" {
		_ = os.RemoveAll(l.temp)
	}
}

// Close waits for the engine's workflows, closes the store and removes a
// temporary database.
func (l *Local) Close() error {
	l.Engine.Drain()
	defer l.removeTemp()
	return l.Store.Close()
}

// OpenStore opens a new SQLite store in the test's temporary directory,
// closed when the test ends.
func OpenStore(tb testing.TB) store.Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// NewEngine is an engine on s whose steps go to the executor that
// newExec makes from the engine's callbacks: a test double, which decides
// when and how each step ends.
func NewEngine(tb testing.TB, s store.Store, newExec func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor) *engine.Engine {
	tb.Helper()
	eng, err := engine.New(context.Background(), engine.Config{Store: s, DataDir: tb.TempDir(), NewExecutor: newExec})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}
