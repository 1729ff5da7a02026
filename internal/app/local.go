// Package app is the composition root: it picks the store driver, opens
// it, and assembles the engine around it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// LocalOptions configure an in-process engine.
type LocalOptions struct {
	// DB is the SQLite file to use (a path or sqlite:///path); empty
	// means a temporary one that is removed on Close.
	DB string
	// DataDir holds step directories and logs; empty means DB + ".data".
	DataDir string
	Observe func(engine.Update)
	// Self is the semaflow binary that supervises steps; empty means this
	// process's own executable.
	Self string
	// Parallelism and NamespaceParallelism cap running workflows.
	Parallelism, NamespaceParallelism int
	// StepEnv is what steps' environments start from; nil means this
	// process's environment.
	StepEnv []string
	// SupervisorEnv is the step supervisor's environment; nil means this
	// process's. A server passes the minimal one: what the supervisor
	// holds, a step may find.
	SupervisorEnv []string
	// Isolation confines steps; its DataRoot is filled in here.
	Isolation executor.Isolation
	// Logger hears what the engine cannot tell a caller (a full disk);
	// nil discards it.
	Logger *slog.Logger
	// Limits bound each workflow's loops and nodes; zero fields mean the
	// defaults.
	Limits spec.Limits
}

// Local is an engine running in this process on a SQLite store.
type Local struct {
	Engine  *engine.Engine
	Store   store.Store
	DataDir string
	DBPath  string
	temp    string
}

// OpenLocal opens the store and starts an engine on it.
func OpenLocal(ctx context.Context, o LocalOptions) (*Local, error) {
	self := o.Self
	if self == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("cannot find the semaflow binary to supervise steps: %w", err)
		}
		self = exe
	}
	path, err := sqlitePath(o.DB)
	if err != nil {
		return nil, err
	}
	l := &Local{DBPath: path}
	if l.DBPath == "" {
		temp, err := os.MkdirTemp("", "semaflow-run-")
		if err != nil {
			return nil, err
		}
		l.temp = temp
		l.DBPath = filepath.Join(l.temp, "semaflow.db")
	}
	l.DataDir = l.DBPath + ".data"
	if o.DataDir != "" {
		l.DataDir = o.DataDir
	}
	// Step directories hold logs, specs and results: only semaflow's
	// user may enter, whatever the umask or an older version left.
	if err := os.MkdirAll(l.DataDir, 0o700); err != nil {
		return nil, l.fail(err)
	}
	if err := os.Chmod(l.DataDir, 0o700); err != nil {
		return nil, l.fail(err)
	}
	db, err := sqlite.Open(ctx, l.DBPath)
	if err != nil {
		return nil, l.fail(err)
	}
	l.Store = db
	if o.Logger != nil && db.DiskFull() {
		o.Logger.Warn(fmt.Sprintf("database %s: %v: nothing can be recorded until space is freed; meanwhile workflows wait and retry, and the API answers 507", l.DBPath, store.ErrNoSpace))
	}
	iso := o.Isolation
	iso.DataRoot = l.DataDir
	l.Engine, err = engine.New(ctx, engine.Config{Store: db, DataDir: l.DataDir, Self: self, Observe: o.Observe, StepEnv: o.StepEnv, Logger: o.Logger,
		Parallelism: o.Parallelism, NamespaceParallelism: o.NamespaceParallelism, Limits: o.Limits,
		NewExecutor: func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
			return &executor.Local{Self: self, Env: o.SupervisorEnv, Isolation: iso, Started: started, Done: done}
		}})
	if err != nil {
		_ = db.Close()
		return nil, l.fail(err)
	}
	return l, nil
}

func (l *Local) fail(err error) error {
	if l.temp != "" {
		_ = os.RemoveAll(l.temp)
	}
	return err
}

// Close waits for the engine's workflows, closes the store and removes a
// temporary database.
func (l *Local) Close() error {
	l.Engine.Drain()
	err := l.Store.Close()
	if l.temp != "" {
		_ = os.RemoveAll(l.temp)
	}
	return err
}

// OpenStore opens the SQLite store at path, for commands that read or
// change it without running an engine; create allows a new file.
func OpenStore(ctx context.Context, db string, create bool) (store.Store, error) {
	path, err := sqlitePath(db)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil && !create {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return sqlite.Open(ctx, path)
}

// sqlitePath reads a --db value: a file path or a sqlite:// URL.
func sqlitePath(db string) (string, error) {
	scheme, rest, ok := strings.Cut(db, "://")
	switch {
	case !ok:
		return db, nil
	case scheme == "sqlite" && rest != "":
		return rest, nil
	case scheme == "postgres" || scheme == "postgresql":
		return "", fmt.Errorf("--db %s: the PostgreSQL driver is not built yet; use a SQLite file", db)
	}
	return "", fmt.Errorf("--db %s: want a SQLite file path or sqlite:///path", db)
}
