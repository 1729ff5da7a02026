package app

import (
	"fmt"
	"strings"
)

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
