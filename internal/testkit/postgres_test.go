package testkit

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { PostgresMain(m) }

// queryInt runs one statement on dsn and returns its single integer
// result.
func queryInt(t *testing.T, dsn, sql string) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, sql).Scan(&n)
	return n, err
}

// TestNewDatabase: each call gives an empty database of its own on the
// shared server.
func TestNewDatabase(t *testing.T) {
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatalf("two databases with one DSN %s", a)
	}
	for _, dsn := range []string{a, b} {
		n, err := queryInt(t, dsn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`)
		if err != nil || n != 0 {
			t.Fatalf("%s: %d tables, %v; want an empty database", dsn, n, err)
		}
	}
}

// TestPostgresRestartAndKill: a server of the test's own keeps what was
// committed across a stop, and across a kill (crash recovery), on the
// same address.
func TestPostgresRestartAndKill(t *testing.T) {
	p := NewPostgres(t)
	dsn := p.NewDatabase(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	must(err)
	_, err = conn.Exec(ctx, `CREATE TABLE t AS SELECT 1 AS x`)
	_ = conn.Close(ctx)
	must(err)
	must(p.Restart())
	if n, err := queryInt(t, dsn, `SELECT count(*) FROM t`); err != nil || n != 1 {
		t.Fatalf("after a restart: %d rows, %v", n, err)
	}
	// Committed just before the kill: an acknowledged commit survives it.
	conn, err = pgx.Connect(ctx, dsn)
	must(err)
	_, err = conn.Exec(ctx, `INSERT INTO t VALUES (2)`)
	_ = conn.Close(ctx)
	must(err)
	must(p.Kill())
	if _, err := queryInt(t, dsn, `SELECT 1`); err == nil {
		t.Fatal("a killed server answered")
	}
	must(p.Start())
	if n, err := queryInt(t, dsn, `SELECT count(*) FROM t`); err != nil || n != 2 {
		t.Fatalf("after a kill and start: %d rows, %v; want both committed", n, err)
	}
}

// TestPostgresKillEndsBackends: Kill ends the backends with the
// postmaster: a transaction open at the kill cannot commit afterwards.
func TestPostgresKillEndsBackends(t *testing.T) {
	p := NewPostgres(t)
	dsn := p.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE t (x int)`); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	var backend int
	if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(backend, 0); err == nil && !exited(backend) {
		t.Fatalf("backend %d outlived the kill", backend)
	}
	if err := tx.Commit(ctx); err == nil {
		t.Fatal("a transaction committed after its server was killed")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if n, err := queryInt(t, dsn, `SELECT count(*) FROM t`); err != nil || n != 0 {
		t.Fatalf("after the kill: %d rows, %v; want none", n, err)
	}
}

// exited says whether pid ended and waits to be reaped (state Z).
func exited(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}
