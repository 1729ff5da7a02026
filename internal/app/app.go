// Package app is the composition root: it reads the environment, picks
// the store driver, opens it, assembles the engine around it, and runs
// the one lifecycle that `semaflow run`, `semaflow server` and
// `semaflow sync set --db` share: Start, then Stop.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/artifacts/fetch"
	"github.com/semaflow/semaflow/internal/artifacts/repos"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// Kind says what an engine is started for.
type Kind string

// The kinds of engine.
const (
	// KindRun runs workflows to completion (semaflow run).
	KindRun Kind = "run"
	// KindServer serves the HTTP API and schedules cron workflows.
	KindServer Kind = "server"
	// KindSync changes a lock limit in a database and stops.
	KindSync Kind = "sync"
)

// Options configure an engine.
type Options struct {
	// Kind is what the engine is for; empty means KindRun.
	Kind Kind
	// DB is the database to use: a SQLite file (a path or
	// sqlite:///path) or a PostgreSQL database (postgres://... or
	// postgresql://...). Empty means, for a server, semaflow.db in the
	// user's data directory, and otherwise a temporary SQLite file that
	// is removed on Stop.
	DB string
	// DataDir holds step directories and logs; empty means DB + ".data"
	// for a SQLite file, and a directory per database in the user's data
	// directory for PostgreSQL.
	DataDir string
	Observe func(engine.Update)
	// Self is the semaflow binary that supervises steps; empty means this
	// process's own executable.
	Self string
	// Parallelism and NamespaceParallelism cap running workflows.
	Parallelism, NamespaceParallelism int
	// InheritEnv gives a server's steps its whole environment; by default
	// they see only executor.BaseEnv's part of it. A run's steps always
	// see the whole: the user runs their own workflows.
	InheritEnv bool
	// Isolation confines steps; its DataRoot is filled in here.
	Isolation executor.Isolation
	// Logger hears what the engine cannot tell a caller (a full disk);
	// nil discards it.
	Logger *slog.Logger
	// Limits bound each workflow's loops and nodes; zero fields mean the
	// defaults.
	Limits spec.Limits
	// ImageTable is the user's image table (images.Parse's format);
	// empty means DataDir/images.yaml when that file exists, else the
	// built-in entries only.
	ImageTable string
	// ArtifactRepository is the directory of the local artifact
	// repository; empty means DataDir/artifacts.
	ArtifactRepository string
	// SecretsDir holds the namespaced secrets that artifacts name
	// (DIR/NAMESPACE/NAME/KEY, see repos.DirSecrets); empty: none.
	SecretsDir string
	// HTTPAllow lists where http templates may connect (CIDRs, IPs, host
	// names, *.domain). Empty: anywhere, except, for a server, its own
	// host (loopback, link-local and unspecified addresses).
	HTTPAllow []string
	// ConfigMaps and Templates are stored before workflows are resumed,
	// so that resumed workflows see them (run's manifests).
	ConfigMaps []*wfv1.ConfigMap
	Templates  []*wfv1.WorkflowTemplate

	// NodeName names this engine's node in its session (--node-name);
	// empty means one made from the host name (see NodeName).
	NodeName string

	// LeaseTTL is the engine's session lease (0: engine.DefaultLeaseTTL):
	// while it lasts, no other engine may take the database over.
	LeaseTTL time.Duration
	// LeaseMargin is how long, on a shared store, other nodes' leases are
	// waited out past their end (0: engine.DefaultLeaseMargin).
	LeaseMargin time.Duration

	// Server only: the address to listen on, the bearer tokens required
	// (none: no authentication) and the extra host names clients use.
	Addr         string
	Tokens       []server.Token
	AllowedHosts []string
	// MaxConnections caps open connections (0: server.DefaultMaxConns);
	// TrustForwardedProto takes X-Forwarded-Proto: https as TLS.
	MaxConnections      int
	TrustForwardedProto bool
	// ArchiveTTL removes archived workflows that finished longer ago
	// (0: they are kept until deleted).
	ArchiveTTL time.Duration
}

// App is one engine running in this process on a store.
type App struct {
	Engine  *engine.Engine
	Store   store.Store
	DataDir string
	// DBPath is the database as users are shown it: the SQLite file, or
	// the PostgreSQL URL without password or options.
	DBPath string
	// Resumed are the UIDs of the workflows an earlier engine left
	// unfinished, which this one took up on Start.
	Resumed []string
	// URL is where a server listens.
	URL string

	kind   Kind
	db     database
	temp   string
	ln     net.Listener
	srv    *http.Server
	failed chan error
	// stopped ends the watch for a lost session.
	stopped chan struct{}
	once    sync.Once
	err     error
}

// Start opens the store and starts an engine on it: it applies the
// options' ConfigMaps and templates, resumes the workflows an earlier
// engine left unfinished, and, for a server, listens, schedules cron
// workflows and deletes ended workflows whose ttlStrategy ran out. Stop
// undoes it.
func Start(ctx context.Context, o Options) (*App, error) {
	if o.Kind == "" {
		o.Kind = KindRun
	}
	node, err := NodeName(o.NodeName)
	if err != nil {
		return nil, err
	}
	o.NodeName = node
	self := o.Self
	if self == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("cannot find the semaflow binary to supervise steps: %w", err)
		}
		self = exe
	}
	a := &App{kind: o.Kind, failed: make(chan error, 1)}
	if err := a.paths(o); err != nil {
		return nil, err
	}
	if o.Kind == KindServer {
		// Listening first: the address is known before anything else
		// is, and a taken one is said before the database is touched.
		ln, err := net.Listen("tcp", o.Addr)
		if err != nil {
			return nil, a.fail(err)
		}
		a.ln, a.URL = ln, "http://"+ln.Addr().String()
	}
	if o.Kind != KindSync {
		// Step directories hold logs, specs and results: only semaflow's
		// user may enter, whatever the umask or an older version left.
		if err := os.MkdirAll(a.DataDir, 0o700); err != nil {
			return nil, a.fail(err)
		}
		if err := os.Chmod(a.DataDir, 0o700); err != nil {
			return nil, a.fail(err)
		}
	}
	db, err := a.db.open(ctx, o.Logger, o.LeaseTTL)
	if err != nil {
		return nil, a.fail(err)
	}
	a.Store = db
	if full, ok := db.(interface{ DiskFull() bool }); ok && o.Logger != nil && full.DiskFull() {
		o.Logger.Warn(fmt.Sprintf("database %s: %v: nothing can be recorded until space is freed; meanwhile workflows wait and retry, and the API answers 507", a.DBPath, store.ErrNoSpace))
	}
	// Steps of a shared server do not see what its operator keeps in its
	// environment (tokens, credentials), as Argo's pods do not see the
	// controller's; its supervisor neither, since a step may read that.
	stepEnv, supEnv := repos.WithoutSecrets(os.Environ()), repos.WithoutSecrets(os.Environ())
	if o.Kind == KindServer {
		supEnv = executor.BaseEnv(supEnv)
		if !o.InheritEnv {
			stepEnv = executor.BaseEnv(stepEnv)
		}
	}
	table, err := loadImageTable(o.ImageTable, a.DataDir)
	if err != nil {
		_ = db.Close()
		return nil, a.fail(err)
	}
	var repo artifacts.Driver
	if o.ArtifactRepository != "" {
		dir, err := filepath.Abs(o.ArtifactRepository)
		if err == nil {
			repo, err = artifacts.OpenLocal(dir)
		}
		if err != nil {
			_ = db.Close()
			return nil, a.fail(fmt.Errorf("--artifact-repository: %w", err))
		}
	}
	secretsDir := o.SecretsDir
	if secretsDir != "" {
		if secretsDir, err = filepath.Abs(secretsDir); err != nil {
			_ = db.Close()
			return nil, a.fail(fmt.Errorf("--secrets-dir: %w", err))
		}
	}
	if old := repos.LegacySecretVars(os.Environ()); len(old) > 0 && o.Logger != nil {
		o.Logger.Warn("SEMAFLOW_SECRET_* variables are no longer read: secrets belong to a namespace; write each as the file --secrets-dir DIR/NAMESPACE/NAME/KEY", "variables", strings.Join(old, ","))
	}
	iso := o.Isolation
	iso.DataRoot = a.DataDir
	var fetchUser *fetch.User
	if iso.User != nil {
		fetchUser = &fetch.User{UID: iso.User.UID, GID: iso.User.GID}
	}
	if err := executor.CheckHTTPAllow(o.HTTPAllow); err != nil {
		_ = db.Close()
		return nil, a.fail(err)
	}
	// A server's API trusts loopback callers without a token: a request
	// from there would act as the server's operator.
	httpPol := executor.HTTPPolicy{Allow: o.HTTPAllow, DenyLocal: o.Kind == KindServer}
	a.Engine, err = engine.New(ctx, engine.Config{Store: db, Artifacts: repo, Images: table, HTTPPolicy: httpPol, Secrets: repos.DirSecrets(secretsDir), FetchUser: fetchUser, DataDir: a.DataDir, Self: self, Observe: o.Observe, StepEnv: stepEnv, Logger: o.Logger,
		Parallelism: o.Parallelism, NamespaceParallelism: o.NamespaceParallelism, Limits: o.Limits,
		Session: a.session(o),
		NewExecutor: func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
			return &executor.Local{Self: self, Env: supEnv, Isolation: iso, Started: started, Done: done}
		}})
	if err != nil {
		_ = db.Close()
		return nil, a.fail(a.refusal(err))
	}
	if err := a.begin(ctx, o); err != nil {
		a.Engine.Detach()
		a.Engine.Drain()
		_ = a.Engine.CloseSession(context.WithoutCancel(ctx))
		_ = db.Close()
		return nil, a.fail(err)
	}
	a.stopped = make(chan struct{})
	go func() {
		select {
		case <-a.Engine.Lost():
			a.fatal(a.Engine.LostErr())
		case <-a.stopped:
		}
	}()
	return a, nil
}

// session describes this process to the store, and to the engines it
// turns away.
func (a *App) session(o Options) *engine.SessionConfig {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return &engine.SessionConfig{Kind: string(o.Kind), Node: o.NodeName, Host: host, PID: os.Getpid(), Process: executor.ProcessIdentity(),
		Addr: a.URL, TTL: o.LeaseTTL, Margin: o.LeaseMargin,
		// On this host a dead engine is known dead at once (kill -9, a
		// crash): its database is free without waiting out its lease.
		Dead: func(s store.Session) bool { return s.Host == host && !executor.ProcessAlive(s.Process) }}
}

// refusal words an engine's refusal to start on a database another
// engine holds: who holds it, and what to do instead.
func (a *App) refusal(err error) error {
	var owned *engine.OwnedError
	if !errors.As(err, &owned) {
		return err
	}
	o := owned.Owner
	who := fmt.Sprintf("semaflow %s (pid %d on host %s, since %s", o.Kind, o.PID, o.Host, o.Started.Local().Format(time.DateTime+" MST"))
	if o.Addr != "" {
		who += ", listening on " + o.Addr
	}
	who += ")"
	var advice string
	switch {
	case o.Kind == string(KindServer) && a.kind == KindSync:
		advice = fmt.Sprintf("change the limit through it, without --db: semaflow sync set --server %s LOCK LIMIT", o.Addr)
	case o.Kind == string(KindServer):
		advice = fmt.Sprintf("submit workflows to it with `semaflow submit --server %s` or the argo CLI", o.Addr)
	default:
		advice = "wait for it to end"
	}
	owns := "one engine at a time owns a SQLite database"
	if a.db.dsn != "" {
		owns = "this engine cannot share the database with it"
	}
	return inUseError{owned: owned, msg: fmt.Sprintf("database %s is in use by %s: %s, or give another --db "+
		"(%s; were that one gone from another host, its lease would end at %s)",
		a.DBPath, who, advice, owns, o.Expires.Local().Format(time.TimeOnly))}
}

// inUseError is a refusal worded for the user; it unwraps to the engine's
// *OwnedError (and so to engine.ErrStoreOwned).
type inUseError struct {
	owned *engine.OwnedError
	msg   string
}

func (e inUseError) Error() string { return e.msg }
func (e inUseError) Unwrap() error { return e.owned }

// paths finds the database and data directory.
func (a *App) paths(o Options) error {
	var err error
	if a.db, err = parseDB(o.DB); err != nil {
		return err
	}
	if a.db.dsn != "" {
		// No file: the SQLite checks and the path beside it do not apply.
		a.DBPath, a.DataDir = a.db.String(), o.DataDir
		if a.DataDir == "" {
			if a.DataDir, err = a.db.dataDir(); err != nil {
				return err
			}
		}
		a.DataDir, err = filepath.Abs(a.DataDir)
		return err
	}
	path := a.db.path
	if path == "" && o.Kind == KindServer {
		if path, err = defaultDB(); err != nil {
			return err
		}
	}
	if path == "" {
		temp, err := os.MkdirTemp(runTempRoot(), "semaflow-run-")
		if err != nil {
			return err
		}
		a.temp = temp
		path = filepath.Join(temp, "semaflow.db")
	}
	a.DBPath, a.DataDir = path, path+".data"
	if o.DataDir != "" {
		a.DataDir = o.DataDir
	}
	// Steps run in other working directories: a relative path would name
	// another place for them (a script step could not find its script).
	if a.DBPath, err = filepath.Abs(a.DBPath); err != nil {
		return err
	}
	a.db.path = a.DBPath
	if a.DataDir, err = filepath.Abs(a.DataDir); err != nil {
		return err
	}
	return nil
}

// runTempRoot is where `run` without --db keeps its throwaway database
// and step directories: the user's cache directory, not /tmp, which each
// step's private /tmp hides (the executor then binds the step's own
// directories back in, about a millisecond per step start). /tmp is the
// fallback when there is no cache directory.
func runTempRoot() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	dir = filepath.Join(dir, "semaflow")
	if os.MkdirAll(dir, 0o700) != nil {
		return ""
	}
	return dir
}

// defaultDB is a server's database when none is given: semaflow.db in
// the user's data directory ($XDG_DATA_HOME, else ~/.local/share).
func defaultDB() (string, error) {
	dir, err := userDataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "semaflow.db"), nil
}

// begin applies, resumes, and starts a server's services.
func (a *App) begin(ctx context.Context, o Options) error {
	if a.kind == KindSync {
		return nil
	}
	if len(o.ConfigMaps)+len(o.Templates) > 0 {
		if err := a.Engine.Apply(ctx, o.ConfigMaps, o.Templates); err != nil {
			return err
		}
	}
	var err error
	if a.Resumed, err = a.Engine.Resume(ctx); err != nil {
		return err
	}
	if a.kind != KindServer {
		return nil
	}
	a.Engine.StartCron()
	a.Engine.StartTTL()
	a.Engine.StartArchiveTTL(o.ArchiveTTL)
	api := server.New(a.Engine)
	api.AllowHosts(o.AllowedHosts...)
	api.SetLogger(o.Logger)
	api.StartLockFeed() // the Locks page's chart covers the time since start
	handler := api.Handler()
	if len(o.Tokens) > 0 {
		handler = server.RequireToken(o.Tokens, handler, server.TrustForwardedProto(o.TrustForwardedProto))
	}
	hs := server.NewHTTP(handler, a.ln, server.HTTPOptions{Logger: o.Logger, MaxConns: o.MaxConnections})
	a.srv = hs.Server
	a.srv.RegisterOnShutdown(api.CloseStreams)
	go func() {
		if err := a.srv.Serve(hs.Listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.fatal(err)
		}
	}()
	return nil
}

// fatal ends the app from within: Failed hears of it.
func (a *App) fatal(err error) {
	select {
	case a.failed <- err:
	default:
	}
}

// Failed gives the error that ended the app from within: the engine lost
// its session to another engine (it fenced itself), or the HTTP server
// failed. The caller then Stops it.
func (a *App) Failed() <-chan error { return a.failed }

func (a *App) fail(err error) error {
	if a.ln != nil && a.srv == nil {
		_ = a.ln.Close()
	}
	if a.temp != "" {
		_ = os.RemoveAll(a.temp)
	}
	return err
}

// Stop ends the engine. detach leaves running steps to their supervisor
// and unfinished workflows to the next engine on the store (a server's
// graceful stop); otherwise Stop waits for the workflows to end. It then
// closes the store and removes a temporary database. Only the first call
// acts.
func (a *App) Stop(detach bool) error {
	a.once.Do(func() {
		if a.srv != nil {
			shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = a.srv.Shutdown(shutCtx)
			cancel()
		}
		if a.stopped != nil {
			close(a.stopped)
		}
		// A fenced engine's steps are killed, never left running.
		if detach && !a.Engine.Fenced() {
			a.Engine.Detach()
		}
		a.Engine.Drain()
		a.err = errors.Join(a.Engine.CloseSession(context.Background()), a.Store.Close())
		if a.temp != "" {
			_ = os.RemoveAll(a.temp)
		}
	})
	return a.err
}

// Abort kills every running step and its processes at once, waiting
// only briefly for them to die: for a process that must end now,
// whatever its engine is doing.
func (a *App) Abort() executor.AbortReport { return a.Engine.Abort() }

// Close is Stop(false).
func (a *App) Close() error { return a.Stop(false) }

// OpenStore opens the store db names (see Options.DB), for commands that
// only read it; create allows a new SQLite file.
func OpenStore(ctx context.Context, db string, create bool) (store.Store, error) {
	d, err := parseDB(db)
	if err != nil {
		return nil, err
	}
	if d.dsn == "" {
		if _, err := os.Stat(d.path); err != nil && !create {
			return nil, fmt.Errorf("database %s: %w", d.path, err)
		}
	}
	return d.open(ctx, nil, 0)
}

// LockViews reads the locks kept in a database (sync list and get --db):
// a read, so no engine is started and a live one is not disturbed.
func LockViews(ctx context.Context, db, only string) ([]locks.View, error) {
	s, err := OpenStore(ctx, db, false)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var st *store.LockState
	if err := s.View(ctx, func(tx store.Tx) error {
		st, err = tx.LoadLocks(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	return locks.Views(st, only, time.Now()), nil
}

// Nodes reads the engines recorded in a database (semaflow nodes --db):
// a read, so no engine is started and a live one is not disturbed.
func Nodes(ctx context.Context, db string) ([]engine.NodeInfo, error) {
	s, err := OpenStore(ctx, db, false)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return engine.ReadNodes(ctx, s, "", engine.NodesOptions{})
}
