package executor

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The directories the supervisor makes for a step run as the step user
// get their modes exactly, whatever the umask: the script's directory,
// the step's root and the directories made in it (a working directory,
// a volume's mount point). Not parallel: the umask is the process's.
func TestStepDirsModesIgnoreTheUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	tmp, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	if err := writeScript(tmp, "echo hi", 0o755); err != nil {
		t.Fatal(err)
	}
	wantMode(t, filepath.Join(dir, ".semaflow"), 0o755)
	wantMode(t, filepath.Join(dir, ".semaflow", "script"), 0o755)

	deep := filepath.Join(dir, "a", "b")
	if err := mkdirOwned(deep, nil); err != nil {
		t.Fatal(err)
	}
	wantMode(t, filepath.Join(dir, "a"), 0o755)
	wantMode(t, deep, 0o755)

	p := &rootPlan{dir: filepath.Join(dir, "step"), at: map[string]int{}}
	p.shadow("/")
	if _, err := p.make(nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.shadows {
		wantMode(t, s.Dir, 0o755)
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}
