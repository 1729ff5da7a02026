package executor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A process a step leaves behind (here one escaped with setsid, its
// working directory the step's work and an open handle on its tmp) still
// reaches those directories after the step ends. No later step may be
// given them: each gets new, empty ones, and what it writes there is not
// seen through the old step's handles.
func TestLaterStepNeverGetsALeftProcessDirs(t *testing.T) {
	for _, mode := range []struct {
		name string
		iso  Isolation
	}{{"privatetmp", Isolation{}}, {"sharedtmp", Isolation{SharedTmp: true}}} {
		t.Run(mode.name, func(t *testing.T) {
			s := startServeWith(t, mode.iso)
			defer stopServe(t, s)
			env := envWithout("TMPDIR")
			if mode.iso.SharedTmp {
				env = os.Environ()
			}
			// The step ends once its child is in a session of its own, out
			// of the step's process group, as a daemon it started would be.
			leave := `exec 3<"${TMPDIR:-/tmp}"; setsid sleep 300 </dev/null >/dev/null 2>&1 &
for i in $(seq 1000); do [ "$(cut -d' ' -f6 /proc/$!/stat)" = $! ] && break; sleep 0.01; done
echo $!`
			_, first := runSeq(t, s, 1, func(int) Spec {
				return Spec{Command: []string{"sh", "-c", leave}, Env: env}
			})
			pid, err := strconv.Atoi(strings.TrimSpace(first[0].Stdout))
			if err != nil || first[0].ExitCode != 0 {
				t.Fatalf("the first step: %+v", first[0])
			}
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			oldWork := fmt.Sprintf("/proc/%d/cwd", pid)
			oldTmp := fmt.Sprintf("/proc/%d/fd/3", pid)
			heldIno := map[string]string{WorkDir: fmt.Sprint(inode(t, oldWork+"/.")), TmpDir: fmt.Sprint(inode(t, oldTmp+"/."))}
			// Each later step looks through the left process's handles for
			// what it wrote. It leaves its files, so that its own directories
			// are not offered again and the first step's are the only ones a
			// reuse of directories could give.
			write := `stat -c %i "${TMPDIR:-/tmp}" .
echo later > "${TMPDIR:-/tmp}/later-$STEP"; echo later > later-$STEP
test -d "$OLD_TMP/" && test -d "$OLD_WORK/" || echo cannot-look
test -e "$OLD_TMP/later-$STEP" && echo seen-tmp
test -e "$OLD_WORK/later-$STEP" && echo seen-work
true`
			env = append(env, "OLD_TMP="+oldTmp, "OLD_WORK="+oldWork)
			dirs, results := runSeq(t, s, 12, func(i int) Spec {
				return Spec{Command: []string{"sh", "-c", write}, Env: append(env[:len(env):len(env)], fmt.Sprintf("STEP=%d", i))}
			})
			for i, r := range results {
				f := strings.Fields(r.Stdout)
				if r.ExitCode != 0 || len(f) < 2 {
					t.Fatalf("step %d: %+v", i, r)
				}
				if f[0] == heldIno[TmpDir] {
					t.Errorf("step %d (%s) got as /tmp the tmp a left process holds", i, dirs[i])
				}
				if f[1] == heldIno[WorkDir] {
					t.Errorf("step %d (%s) got as working directory the work a left process is in", i, dirs[i])
				}
				if len(f) > 2 {
					t.Errorf("step %d (%s): what it wrote through the left process's handles: %v", i, dirs[i], f[2:])
				}
			}
		})
	}
}

// A step directory whose tmp is already there as a link (planted, or
// left by an older supervisor) is refused, and what the link points at
// keeps its mode: nothing of the step's set-up goes through it.
func TestStepDirsRefuseALinkedTmp(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	if err := os.Chmod(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, dir+"/"+TmpDir); err != nil {
		t.Fatal(err)
	}
	v, err := openStepDirs(dir, &confinement{})
	if err == nil {
		v.close()
		t.Fatal("a step's tmp that is a link was opened")
	}
	fi, err := os.Stat(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Fatalf("the link's target went from 0755 to %o", fi.Mode().Perm())
	}
}
