package stepinit

import (
	"os"
	"path/filepath"
	"testing"
)

// The directory covered for a step user is the highest one above the
// data directory that the user cannot search, and none if all can be.
func TestUnsearchableAbove(t *testing.T) {
	base := t.TempDir()
	open, closed := filepath.Join(base, "open"), filepath.Join(base, "open", "closed")
	deep := filepath.Join(closed, "also-closed", "data")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base, open} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{closed, filepath.Dir(deep)} {
		if err := os.Chmod(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	const nobody = 65534
	// t.TempDir's own parent is 0700.
	if err := os.Chmod(filepath.Dir(base), 0o755); err != nil {
		t.Fatal(err)
	}
	if above := UnsearchableAbove(base, nobody, nobody); above != "" {
		t.Skipf("%s, above the test's directory, is closed to others", above)
	}
	me := uint32(os.Getuid())
	for _, c := range []struct {
		path     string
		uid, gid uint32
		want     string
	}{
		{deep, nobody, nobody, closed},
		{filepath.Join(open, "x"), nobody, nobody, ""},
		{deep, me, nobody, ""}, // the owner may search its own 0700 directories
		{closed, nobody, nobody, ""},
	} {
		if got := UnsearchableAbove(c.path, c.uid, c.gid); got != c.want {
			t.Errorf("UnsearchableAbove(%s, %d) = %q, want %q", c.path, c.uid, got, c.want)
		}
	}
}
