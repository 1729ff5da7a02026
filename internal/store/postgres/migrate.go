package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/semaflow/semaflow/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Advisory locks semaflow takes, transaction-scoped, as (class, id):
// the class spells "sema", so that another program's locks in the same
// database do not collide with these.
const (
	lockClass    = 0x73656d61
	migrateLock  = 1
	takeOverLock = 2
	// objectLockClass is the class of LockObject's advisory locks, apart
	// from lockClass's so that no key's hash is mistaken for one of those.
	objectLockClass = 0x736d6f62
)

type migration struct {
	version int
	name    string
	body    string
}

// loadMigrations reads the embedded migrations in version order
// (store.Migrations: numbered from 1 with no gap or repeat). They are
// numbered as SQLite's: the same number means the same change.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	list, err := store.Migrations(names)
	if err != nil {
		return nil, err
	}
	out := make([]migration, len(list))
	for i, m := range list {
		body, err := migrations.ReadFile("migrations/" + m.Name)
		if err != nil {
			return nil, err
		}
		out[i] = migration{version: m.Version, name: m.Name, body: string(body)}
	}
	return out, nil
}

// migrate applies, in one transaction, every migration the database
// lacks. It holds an advisory lock meanwhile, so that nodes starting at
// once on a new database migrate it one after the other: each reads the
// applied versions only once it holds the lock. A database that a newer
// semaflow migrated (a version this one does not know) is refused, as is
// another program's.
func (s *Store) migrate(ctx context.Context) error {
	list, err := loadMigrations()
	if err != nil {
		return err
	}
	const what = "migrate the database schema"
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return s.storeError(ctx, what, err)
	}
	defer rollback(tx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, migrateLock); err != nil {
		return s.storeError(ctx, what+": wait for another node's migration", err)
	}
	var ours bool
	var tables int
	var schema *string
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL, current_schema(),
		(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())`).Scan(&ours, &schema, &tables); err != nil {
		return s.storeError(ctx, what, err)
	}
	if schema == nil {
		return fmt.Errorf("database %s: no schema of its search_path exists: create one, or give search_path in the DSN", s.name)
	}
	if !ours && tables > 0 {
		return fmt.Errorf("database %s is another program's: its schema %s has %d tables, none of them semaflow's; "+
			"give semaflow a database of its own, or a schema of its own (search_path in the DSN)", s.name, *schema, tables)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return s.storeError(ctx, what, err)
	}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return s.storeError(ctx, what, err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return s.storeError(ctx, what, err)
	}
	known := func(v int) bool {
		return slices.ContainsFunc(list, func(m migration) bool { return m.version == v })
	}
	for _, v := range applied {
		if !known(v) {
			return fmt.Errorf("database %s was migrated by a newer semaflow (schema version %d; this one knows up to %d): "+
				"run the same or a newer semaflow on every node", s.name, slices.Max(applied), list[len(list)-1].version)
		}
	}
	// Every missing version is applied, not only those above the newest:
	// migrations written on parallel branches may land out of order.
	for _, m := range list {
		if slices.Contains(applied, m.version) {
			continue
		}
		if _, err := tx.Exec(ctx, m.body); err != nil {
			return s.storeError(ctx, what+": migration "+m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
			return s.storeError(ctx, what, err)
		}
	}
	return s.storeError(ctx, what+": commit", tx.Commit(ctx))
}
