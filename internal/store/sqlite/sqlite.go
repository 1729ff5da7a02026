// Package sqlite is the embedded default store: pure-Go SQLite
// (modernc.org/sqlite) in WAL mode with embedded migrations.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/semaflow/semaflow/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a store backed by one SQLite file.
type DB struct {
	db   *sql.DB
	path string
	res  reserve
	// hot are the statements prepared once (hot.go); none on a
	// read-only handle.
	hot map[string]*sql.Stmt
	// ckpt checkpoints the WAL off the writer's path (checkpoint.go);
	// nil on a read-only handle.
	ckpt *checkpointer
}

var _ store.Store = (*DB)(nil)

// busyWait is how long a transaction waits for another process's write
// lock before it fails with store.ErrBusy.
const busyWait = 10 * time.Second

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// Options are what a caller may add to Open.
type Options struct {
	// Live, when set, says whether a session stored in the database
	// belongs to an engine still running. A migration changes tables an
	// older engine still uses, so none is applied to a database with a
	// live session: Open fails with a *MigrationBlockedError instead.
	Live func(store.Session) bool
}

// MigrationBlockedError is Open's refusal to migrate a database a live
// engine of an older semaflow holds.
type MigrationBlockedError struct {
	Path      string
	Migration string // the first one pending
	Session   store.Session
}

func (e *MigrationBlockedError) Error() string {
	s := e.Session
	return fmt.Sprintf("database %s needs migration %s, which changes tables the semaflow %s holding it (pid %d on host %s) still uses: "+
		"stop that one first, then start this one", e.Path, e.Migration, s.Kind, s.PID, s.Host)
}

// OpenWith is Open with opts.
func OpenWith(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_pragma=busy_timeout(" + strconv.Itoa(int(busyWait.Milliseconds())) + ")" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(writerCheckpointPages) + ")" +
		"&_pragma=journal_size_limit(" + strconv.Itoa(walKeepBytes) + ")&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// _txlock=immediate begins every transaction with BEGIN IMMEDIATE: it
	// holds the file's write lock from its start, so transactions on other
	// handles (other processes) wait for it, busy_timeout long, and what it
	// read is still current when it writes. That is the serialisation the
	// store's concurrency contract asks for. One connection per handle
	// queues this process's transactions before SQLite, which needs one
	// writer at a time anyway.
	db.SetMaxOpenConns(1)
	s := &DB{db: db, path: path}
	if err := s.migrate(ctx, opts.Live); err != nil {
		_ = db.Close()
		if full := s.storeError(err); errors.Is(full, store.ErrNoSpace) {
			return nil, full
		}
		var blocked *MigrationBlockedError
		if errors.As(err, &blocked) {
			return nil, err
		}
		if errors.Is(err, errNotOurs) {
			// Nothing was migrated: the file was only looked at.
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if s.ckpt, err = startCheckpointer(path); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.prepareHot(ctx)
	s.armReserve()
	return s, nil
}

// errNotOurs is wrapped by the refusal of another program's database.
var errNotOurs = errors.New("it is another program's SQLite database")

func (s *DB) migrate(ctx context.Context, live func(store.Session) bool) error {
	// Another program's database is not made semaflow's: tables but no
	// schema_migrations means it was never ours.
	var ours, tables int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE name = 'schema_migrations'), COUNT(*)
		FROM sqlite_master WHERE type = 'table'`).Scan(&ours, &tables); err != nil {
		return err
	}
	if ours == 0 && tables > 0 {
		return fmt.Errorf("%w (%d tables, none of semaflow's): give a new path or a semaflow database", errNotOurs, tables)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	list, err := store.Migrations(names)
	if err != nil {
		return err
	}
	// Every missing version is applied, not only those above the newest:
	// migrations written on parallel branches may land out of order.
	applied := map[int]bool{}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return err
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := s.checkNoLiveSession(ctx, list, applied, live); err != nil {
		return err
	}
	for _, m := range list {
		base, v := m.Name, m.Version
		if applied[v] {
			continue
		}
		body, err := migrations.ReadFile("migrations/" + base)
		if err != nil {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		// Engines starting together on a new file race to migrate it: the
		// version is read again under the write lock, and a migration
		// another process applied meanwhile is skipped.
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, v).Scan(&done); err != nil {
			_ = tx.Rollback()
			return err
		}
		if done > 0 {
			_ = tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Update runs fn in a write transaction.
func (s *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.inTx(ctx, fn)
}

// View runs fn in a transaction that is rolled back at the end.
func (s *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.inTx(ctx, func(t store.Tx) error {
		if err := fn(t); err != nil {
			return err
		}
		return errReadOnly
	})
}

var errReadOnly = fmt.Errorf("read-only transaction")

func (s *DB) inTx(ctx context.Context, fn func(store.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.storeError(err)
	}
	if err := fn(&txn{db: s, tx: tx}); err != nil {
		_ = tx.Rollback()
		if errors.Is(err, errReadOnly) {
			return nil
		}
		return s.storeError(err)
	}
	if err := tx.Commit(); err != nil {
		return s.storeError(err)
	}
	s.rearm()
	return nil
}

// Close closes the database.
func (s *DB) Close() error {
	var err error
	if s.ckpt != nil {
		err = s.ckpt.close()
	}
	s.closeHot()
	return errors.Join(err, s.db.Close())
}

// privateFiles makes the database file, before SQLite does, and narrows
// it and its -wal and -shm to 0600 if they exist wider: they hold every
// workflow and ConfigMap, and steps may run as other users. SQLite gives
// the -wal and -shm it creates the database file's mode.
func privateFiles(path string) error {
	if err := checkFile(path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	_ = f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		// Another user's database stays as its owner made it.
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("database %s: %w", p, err)
		}
	}
	return nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// checkFile refuses, before anything is changed, a path that is not a
// database semaflow may own: a device or directory, a file with other
// content, and a file with several hard links (SQLite keeps its journal
// beside each name, so two engines opening two names of one file would
// each write their own journal into it, and neither sees the other's
// lock or session).
func checkFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("database %s is a directory: give the path of a SQLite file", path)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("database %s is not a regular file (%s): give the path of a SQLite file", path, fi.Mode().Type())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
		return fmt.Errorf("database %s has %d hard links: SQLite keeps its journal beside each name, so engines opening different names would not see each other; open it by one name only", path, st.Nlink)
	}
	if fi.Size() == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || string(head) != sqliteHeader {
		return fmt.Errorf("database %s is not a SQLite database: give a new path or a semaflow database", path)
	}
	return nil
}
