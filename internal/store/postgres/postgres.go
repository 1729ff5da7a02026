// Package postgres is the store for several engine nodes sharing one
// database: PostgreSQL through pgx's pool, with embedded migrations
// numbered as SQLite's, transactions at READ COMMITTED, lock decisions
// serialised by the row lock of the one lock-generation row, and notices
// of changes sent with NOTIFY from the writing transactions (store.Shared).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/semaflow/semaflow/internal/store"
)

// Options tune a Store; the zero value is what semaflow runs with.
type Options struct {
	// MaxConns caps the pool's connections (0: pgxpool's default, the
	// larger of 4 and the number of CPUs). Listen takes one more each.
	MaxConns int32
	// BusyTimeout is how long a statement waits for a row lock another
	// transaction holds (lock_timeout) before it fails with store.ErrBusy
	// (0: 10s). A DSN that sets lock_timeout keeps its own.
	BusyTimeout time.Duration
	// IdleTxTimeout ends, on the server, a transaction left idle that
	// long (idle_in_transaction_session_timeout; 0: 30s): a node stopped
	// mid-transaction (SIGSTOP, a debugger) must not hold the generation
	// row, and so every node's lock decisions, for ever. A DSN that sets
	// it keeps its own.
	IdleTxTimeout time.Duration
	// NoticeBuffer bounds the notices Listen keeps for a slow reader;
	// beyond it they are dropped for one store.TopicResync (0: 1024).
	NoticeBuffer int
	// ReconnectMin and ReconnectMax bound the wait between Listen's
	// attempts to reconnect: from the first, doubling, up to the second
	// (0: 100ms and 5s).
	ReconnectMin, ReconnectMax time.Duration
	// ListenPing is how long the listening connection may stay silent
	// before Listen checks that it still works (0: 30s): a connection cut
	// without a reset would otherwise wait for notices for ever.
	ListenPing time.Duration
	// Logger hears what Listen cannot tell its reader: a lost connection
	// and its reconnection. nil discards.
	Logger *slog.Logger
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.BusyTimeout, 10*time.Second)
	def(&o.IdleTxTimeout, 30*time.Second)
	def(&o.ReconnectMin, 100*time.Millisecond)
	def(&o.ReconnectMax, 5*time.Second)
	def(&o.ListenPing, 30*time.Second)
	if o.NoticeBuffer <= 0 {
		o.NoticeBuffer = 1024
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Store is a store on one PostgreSQL database. Several Stores, in one
// process or many, may use one database at once (store.Store's
// concurrency contract).
type Store struct {
	pool *pgxpool.Pool
	// listen is the configuration of Listen's own connections.
	listen *pgx.ConnConfig
	// name says which database errors and logs are about: user, host,
	// port and database, never the password.
	name string
	opts Options
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Shared = (*Store)(nil)
)

// Open connects to the database dsn names (postgres://... or
// keyword=value), migrates it and returns a Store on it.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, o Options) (*Store, error) {
	o.defaults()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx masks the password in its message; scrub repeats that for
		// the forms it may miss.
		return nil, fmt.Errorf("PostgreSQL DSN: %s", scrub(err.Error(), dsn))
	}
	cc := cfg.ConnConfig
	params := cc.RuntimeParams
	setDefault(params, "application_name", "semaflow")
	setDefault(params, "lock_timeout", strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10))
	setDefault(params, "idle_in_transaction_session_timeout", strconv.FormatInt(o.IdleTxTimeout.Milliseconds(), 10))
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	s := &Store{name: describe(cc), opts: o}
	s.listen = cc.Copy()
	s.listen.RuntimeParams[listenAppParam] = listenAppName
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, s.storeError(ctx, "open a connection pool", err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, s.storeError(ctx, "connect", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

func setDefault(params map[string]string, key, value string) {
	if _, ok := params[key]; !ok {
		params[key] = value
	}
}

// describe names a database without its password.
func describe(cc *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)
}

// Name is the database the store uses, as errors and logs name it
// (user@host:port/database): never the password.
func (s *Store) Name() string { return s.name }

// Update runs fn in a READ COMMITTED transaction and commits it with the
// notices its writes queued. fn runs once: a failed commit is returned,
// never retried, since callers keep state tied to what fn did.
//
// The transaction is driven by hand on a pooled connection so that its
// BEGIN goes with its first statement and its COMMIT with its last
// writes and notices, in their round trips: a transaction that claims
// the lock state holds every node's lock decisions from the claim to the
// end of its commit, and each round trip in between is time they wait.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.storeError(ctx, "begin a transaction", err)
	}
	// A connection left inside a transaction (a failure mid-way) is
	// closed by the pool rather than reused.
	defer conn.Release()
	t := &txn{s: s, q: conn}
	t.later("begin a transaction", `BEGIN ISOLATION LEVEL READ COMMITTED`)
	if err := fn(t); err != nil {
		t.rollback()
		return err
	}
	if conn.Conn().PgConn().TxStatus() == 'E' {
		// A statement failed and the caller went on: PostgreSQL ended the
		// transaction there, and a COMMIT would roll back.
		t.rollback()
		why := t.failed
		if why == nil {
			why = errors.New("a statement failed")
		}
		return fmt.Errorf("commit to PostgreSQL %s: rolled back, as a statement in the transaction had failed: %w", s.name, why)
	}
	var tag pgconn.CommandTag
	if err := t.commit(ctx, &tag); err != nil {
		t.rollback()
		return err
	}
	if tag.String() != "COMMIT" {
		return fmt.Errorf("commit to PostgreSQL %s: rolled back (%s)", s.name, tag)
	}
	return nil
}

// View runs fn in a REPEATABLE READ transaction, one snapshot for all its
// reads, and rolls it back. It is not READ ONLY: BindSession locks a row,
// which a read-only transaction may not.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return s.storeError(ctx, "begin a transaction", err)
	}
	defer rollback(tx)
	return fn(&txn{s: s, q: tx})
}

// rollback ends tx, even when the caller's context is done (so that the
// connection goes back to the pool clean); a connection that cannot roll
// back is closed by pgx.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// Close closes the pool. Listen's connections end with their contexts.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
