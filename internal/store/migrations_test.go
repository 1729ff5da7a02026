package store

import (
	"strings"
	"testing"
)

// TestMigrationsNumbering: versions must run 1, 2, 3… each once; a
// repeat, a gap or a bad name is refused naming the file.
func TestMigrationsNumbering(t *testing.T) {
	got, err := Migrations([]string{"migrations/0002_b.sql", "migrations/0001_a.sql", "0003_c.sql"})
	if err != nil || len(got) != 3 || got[0] != (Migration{1, "0001_a.sql"}) || got[2] != (Migration{3, "0003_c.sql"}) {
		t.Fatalf("Migrations: %+v, %v", got, err)
	}
	for _, c := range []struct {
		files []string
		want  string
	}{
		{[]string{"0001_a.sql", "0001_b.sql"}, "share version 1"},
		{[]string{"0001_a.sql", "0003_c.sql"}, "no gap"},
		{[]string{"0001_a.sql", "0018_x.sql"}, "0018_x.sql"},
		{[]string{"0002_b.sql"}, "no gap"},
		{[]string{"x_a.sql"}, "four-digit"},
		{[]string{"0000_a.sql"}, "four-digit"},
		{[]string{"0001a.sql"}, "four-digit"},
	} {
		if _, err := Migrations(c.files); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Migrations(%v): %v, want an error saying %q", c.files, err, c.want)
		}
	}
}
