package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/postgres"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// database is what --db names: a SQLite file, or a PostgreSQL database
// that several engines (nodes) share.
type database struct {
	// path is the SQLite file; "" when none was given.
	path string
	// dsn is the PostgreSQL DSN, password and all: it goes to the driver
	// and nowhere else.
	dsn string
	// shown is the PostgreSQL database as users are shown it, without
	// password or options.
	shown string
}

// keywordDSN matches libpq's keyword/value form, which must not be taken
// for a file name: the file would be made, and messages would quote its
// password.
var keywordDSN = regexp.MustCompile(`(^|\s)(host|hostaddr|dbname|user|password|port|sslmode)=`)

// parseDB reads a --db value: a file path, a sqlite:// URL, or a
// postgres:// or postgresql:// URL. Errors never quote a password.
func parseDB(db string) (database, error) {
	scheme, rest, ok := strings.Cut(db, "://")
	switch {
	case !ok && keywordDSN.MatchString(db):
		return database{}, fmt.Errorf("--db: a PostgreSQL connection in keyword form (host=… dbname=…) is not read: give a URL, postgres://user:password@host:port/database")
	case !ok:
		return database{path: db}, nil
	case scheme == "sqlite" && rest != "":
		return database{path: rest}, nil
	case scheme == "postgres" || scheme == "postgresql":
		u, err := url.Parse(db)
		if err != nil {
			return database{}, fmt.Errorf("--db %s://...: not a URL (postgres://user:password@host:port/database?option=value)", scheme)
		}
		shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
		if u.User != nil {
			shown.User = url.User(u.User.Username())
		}
		return database{dsn: db, shown: shown.String()}, nil
	}
	return database{}, fmt.Errorf("--db %s://...: want a SQLite file path, sqlite:///path or postgres://host/database", scheme)
}

// ShownDB is a --db value as a message may show it: a PostgreSQL URL
// without its password or options, anything else as given (a value
// parseDB refuses shows only its scheme).
func ShownDB(db string) string {
	d, err := parseDB(db)
	switch {
	case err == nil && d.dsn != "":
		return d.shown
	case err != nil:
		if scheme, _, ok := strings.Cut(db, "://"); ok {
			return scheme + "://..."
		}
		return "--db"
	}
	return db
}

// String is the database as messages name it.
func (d database) String() string {
	if d.dsn != "" {
		return d.shown
	}
	return d.path
}

// open opens the database's driver; only this package picks one. logger
// (nil: none) hears what PostgreSQL's listener cannot tell a caller.
//
// On PostgreSQL a transaction left idle longer than a third of the lease
// (at most 5 s) is ended by the server: only a stopped process (SIGSTOP,
// a debugger) leaves one idle, and while it holds the lock generation row
// every node's lock decisions wait for it. Its node loses its lease soon
// after anyway.
func (d database) open(ctx context.Context, logger *slog.Logger, leaseTTL time.Duration) (store.Store, error) {
	if d.dsn != "" {
		if leaseTTL <= 0 {
			leaseTTL = engine.DefaultLeaseTTL
		}
		idle := min(max(leaseTTL/3, time.Second), 5*time.Second)
		return postgres.OpenWith(ctx, d.dsn, postgres.Options{Logger: logger, IdleTxTimeout: idle})
	}
	// An engine of this host whose process is gone holds nothing; one of
	// another host (a file on a network mount) is taken as live.
	host, _ := os.Hostname()
	return sqlite.OpenWith(ctx, d.path, sqlite.Options{Live: func(s store.Session) bool {
		return s.Host != host || executor.ProcessAlive(s.Process)
	}})
}

// dataDir is where, by default, an engine on a PostgreSQL database keeps
// its step directories and logs: there is no file to put them beside,
// so one directory per database in the user's data directory, where a
// restarted engine finds the steps it left running.
func (d database) dataDir() (string, error) {
	dir, err := userDataDir()
	if err != nil {
		return "", err
	}
	u, err := url.Parse(d.shown)
	if err != nil {
		return "", err
	}
	name := strings.Trim(unsafeName.ReplaceAllString(u.Host+"-"+strings.TrimPrefix(u.Path, "/"), "_"), "_-.")
	return filepath.Join(dir, "postgres-"+name+".data"), nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// userDataDir is semaflow's directory in the user's data directory
// ($XDG_DATA_HOME, else ~/.local/share), made if need be.
func userDataDir() (string, error) {
	dir := ""
	if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
		dir = filepath.Join(xdg, "semaflow")
	} else {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".local", "share", "semaflow")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}
