package postgres

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/semaflow/semaflow/internal/testkit"
)

// exec runs statements on dsn outside any Store.
func exec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func versions(t *testing.T, dsn string) []int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMigrationsNumberedAsSQLite: the PostgreSQL migrations are SQLite's,
// number for number.
func TestMigrationsNumberedAsSQLite(t *testing.T) {
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range list {
		got = append(got, m.name)
	}
	// SQLite's files, read from its driver's directory: a migration added
	// to one driver and not the other fails here.
	files, err := filepath.Glob(filepath.Join("..", "sqlite", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("SQLite's migrations: %v (found %d)", err, len(files))
	}
	var want []string
	for _, f := range files {
		want = append(want, filepath.Base(f))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("migrations %v, want SQLite's %v", got, want)
	}
}

// TestConcurrentOpenMigratesOnce: nodes starting together on a new
// database all open it, and each migration is applied once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(context.Background(), dsn)
			if err == nil {
				_ = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	n := len(list)
	if v := versions(t, dsn); len(v) != n || v[0] != 1 || v[n-1] != n {
		t.Fatalf("applied versions %v, want 1 to %d once each", v, n)
	}
}

// TestNewerSchemaRefused: a database a newer semaflow migrated is not
// opened (its tables may mean something this version does not know).
func TestNewerSchemaRefused(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	openTest(t, dsn, Options{})
	exec(t, dsn, `INSERT INTO schema_migrations (version) VALUES (999)`)
	_, err := Open(context.Background(), dsn)
	if err == nil || !strings.Contains(err.Error(), "newer semaflow") || !strings.Contains(err.Error(), "999") {
		t.Fatalf("opening a database of schema version 999: %v, want a refusal naming a newer semaflow", err)
	}
}

// TestForeignDatabaseRefused: a database with another program's tables
// and none of semaflow's is not made semaflow's.
func TestForeignDatabaseRefused(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	exec(t, dsn, `CREATE TABLE invoices (id int)`)
	_, err := Open(context.Background(), dsn)
	if err == nil || !strings.Contains(err.Error(), "another program's") {
		t.Fatalf("opening another program's database: %v, want a refusal", err)
	}
	if hasTable(t, dsn, "schema_migrations") {
		t.Fatal("the refused database was migrated")
	}
}

func hasTable(t *testing.T, dsn, table string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}

// TestMissingMigrationIsApplied: a migration that landed after a
// higher-numbered one is still applied to a database that has the
// higher one.
func TestMissingMigrationIsApplied(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	openTest(t, dsn, Options{})
	exec(t, dsn, `DROP TABLE lock_generation`, `DELETE FROM schema_migrations WHERE version IN (4, 5)`)
	s := openTest(t, dsn, Options{})
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT counter FROM lock_generation WHERE id = 1`).Scan(&n); err != nil {
		t.Fatalf("migration 0004 was not applied: %v", err)
	}
}

// TestSchemaOfItsOwn: with search_path in the DSN, semaflow lives in a
// schema of its own beside another program's tables.
func TestSchemaOfItsOwn(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	exec(t, dsn, `CREATE TABLE invoices (id int)`, `CREATE SCHEMA semaflow`)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	openTest(t, dsn+sep+"search_path=semaflow", Options{})
	exec(t, dsn, `SELECT count(*) FROM semaflow.workflows`)
}
