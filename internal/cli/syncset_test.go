package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mutex's limit is 1 whatever form its key takes; sync set refuses it
// before it reaches a server or a database (hostile 19 #1).
func TestSyncSetRefusesEveryMutex(t *testing.T) {
	r := &remote{server: "http://127.0.0.1:1", getenv: func(string) string { return "" }}
	db := filepath.Join(t.TempDir(), "none.db")
	for _, key := range []string{"default/Mutex/x", "default/DatabaseMutex/x"} {
		for _, where := range []string{"", db} {
			var out bytes.Buffer
			err := syncSet(context.Background(), &out, where, r, key, "3", true)
			if err == nil || !strings.Contains(err.Error(), "is a mutex: its limit is always 1") {
				t.Errorf("sync set %s (db %q): %v; want the mutex refused", key, where, err)
			}
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("a refused sync set left %s behind: %v", db, err)
	}
}

// sync set --db on a database that does not exist refuses without
// --create and leaves no file behind (hostile 19: newtypo.db).
func TestSyncSetNeedsAnExistingDatabase(t *testing.T) {
	r := &remote{getenv: func(string) string { return "" }}
	db := filepath.Join(t.TempDir(), "newtypo.db")
	for _, key := range []string{"default/Database/x", "default/ConfigMap/limits/k"} {
		var out bytes.Buffer
		err := syncSet(context.Background(), &out, db, r, key, "2", false)
		if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "--create") {
			t.Errorf("sync set %s on a missing database: %v", key, err)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Fatalf("sync set %s left %s behind: %v", key, db, err)
		}
	}
}
