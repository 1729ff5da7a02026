package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"

	"github.com/semaflow/semaflow/internal/store"
)

// OpenReadOnly opens an existing semaflow database for reading (simulate
// --db): it creates, migrates and re-permissions nothing, so a reader
// never changes what it reads, and it refuses a database whose schema
// is not this semaflow's, older or newer, rather than misreading it.
// Update fails on it.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if err := checkFile(path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	// No _txlock=immediate: BEGIN IMMEDIATE takes the write lock, which
	// a read-only handle cannot.
	dsn := "file:" + path + "?mode=ro&_pragma=query_only(1)&_pragma=busy_timeout(" + strconv.Itoa(int(busyWait.Milliseconds())) + ")"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &DB{db: db, path: path}
	if err := s.sameSchema(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// sameSchema refuses a database that lacks one of this semaflow's
// migrations or has one it does not know.
func (s *DB) sameSchema(ctx context.Context) error {
	var ours, tables int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE name = 'schema_migrations'), COUNT(*)
		FROM sqlite_master WHERE type = 'table'`).Scan(&ours, &tables); err != nil {
		return fmt.Errorf("database %s: %w", s.path, s.storeError(err))
	}
	switch {
	case ours == 0 && tables > 0:
		return fmt.Errorf("database %s is another program's SQLite database (%d tables, none of semaflow's): give a semaflow database", s.path, tables)
	case ours == 0:
		return fmt.Errorf("database %s is empty: no semaflow run was recorded in it", s.path)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	list, err := store.Migrations(names)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return fmt.Errorf("database %s: %w", s.path, s.storeError(err))
	}
	var applied []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return err
		}
		applied = append(applied, v)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("database %s: %w", s.path, err)
	}
	newest := list[len(list)-1].Version
	for _, v := range applied {
		if !slices.ContainsFunc(list, func(m store.Migration) bool { return m.Version == v }) {
			return fmt.Errorf("database %s was written by a newer semaflow (schema version %d; this one knows up to %d): read it with that semaflow",
				s.path, slices.Max(applied), newest)
		}
	}
	for _, m := range list {
		if !slices.Contains(applied, m.Version) {
			return fmt.Errorf("database %s has an older schema (it lacks version %d of this semaflow's %d) and is opened read only: "+
				"upgrade it first by running this semaflow on it (semaflow run --db, semaflow server --db)", s.path, m.Version, newest)
		}
	}
	return nil
}
