package app

import (
	"strings"
	"testing"
)

// TestParseDB: --db names a SQLite file or a PostgreSQL database, shown
// without password or options; a refused value never quotes a password.
func TestParseDB(t *testing.T) {
	for in, want := range map[string]database{
		"/tmp/a.db":          {path: "/tmp/a.db"},
		"sqlite:///tmp/b.db": {path: "/tmp/b.db"},
		"postgres://sf:pw@db.example:5433/flows?sslmode=require": {dsn: "postgres://sf:pw@db.example:5433/flows?sslmode=require",
			shown: "postgres://sf@db.example:5433/flows"},
		"postgresql://db.example/flows": {dsn: "postgresql://db.example/flows", shown: "postgresql://db.example/flows"},
	} {
		got, err := parseDB(in)
		if err != nil || got != want {
			t.Errorf("parseDB(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"mysql://u:hunter2@h/db", "postgres://u:hunter2@[::1/db", "sqlite://",
		// libpq's keyword form is not a file name, and its password is not shown.
		"host=db.example user=sf password=hunter2 dbname=flows", "dbname=flows password=hunter2"} {
		_, err := parseDB(in)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("parseDB(%q): %v, want a refusal without the password", in, err)
		}
	}
}

// A --db value in a message: never its password, whatever its form.
func TestShownDBHidesThePassword(t *testing.T) {
	for db, want := range map[string]string{
		"c.db":                                   "c.db",
		"sqlite:///tmp/c.db":                     "sqlite:///tmp/c.db",
		"postgres://u:secret@h:5432/d?sslmode=x": "postgres://u@h:5432/d",
		"mysql://u:secret@h/d":                   "mysql://...",
		"host=h password=secret dbname=d":        "--db",
	} {
		if got := ShownDB(db); got != want {
			t.Errorf("ShownDB(%q) = %q, want %q", db, got, want)
		}
	}
}
