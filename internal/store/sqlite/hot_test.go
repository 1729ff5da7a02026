package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// Every hot statement prepares on a migrated database: one that did not
// would run by text, correct but slow, and nothing else would show it.
func TestHotStatementsPrepare(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "semaflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range hotSQL {
		if db.hot[q] == nil {
			t.Errorf("not prepared: %s", q)
		}
	}
}
