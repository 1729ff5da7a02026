package executor

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// livingWith lists the live (not zombie) processes whose command line
// holds marker.
func livingWith(marker string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), marker) {
			continue
		}
		if st, err := readStat(pid); err == nil && !st.dead() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// When the supervisor dies, its step and the step's own children (which
// the parent-death signal does not reach) are dead before the step is
// reported, and the report says so.
func TestDeadSupervisorsStepIsKilledBeforeItIsReported(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("sharedTmp=%t", shared), func(t *testing.T) {
			before := supervisors()
			t.Cleanup(func() { killSupervisors(before) })
			marker := fmt.Sprintf("sleep 87%d", os.Getpid()%100)
			type report struct {
				r    *Result
				left []int
			}
			done := make(chan report, 1)
			started := make(chan struct{}, 1)
			l := &Local{Self: self(t), Isolation: Isolation{SharedTmp: shared},
				Started: func(string, time.Time) { started <- struct{}{} },
				Done:    func(_ string, r *Result) { done <- report{r, livingWith(marker)} }}
			t.Cleanup(func() { _ = l.Close() })
			dir := t.TempDir()
			if err := l.Start(Job{Key: "k", Dir: dir, Spec: Spec{Command: []string{"sh", "-c", marker + " & " + marker + "; echo never"}, Env: os.Environ()}}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				t.Fatal("the step never started")
			}
			for end := time.Now().Add(5 * time.Second); len(livingWith(marker)) < 2 && time.Now().Before(end); {
				time.Sleep(10 * time.Millisecond)
			}
			var sup int
			for p := range supervisors() {
				if !before[p] {
					sup = p
				}
			}
			if sup == 0 {
				t.Fatal("no supervisor child found")
			}
			_ = syscall.Kill(sup, syscall.SIGKILL)
			select {
			case rep := <-done:
				if rep.r.Killed != SupervisorDiedMessage || rep.r.StartError != "" {
					t.Errorf("result %+v, want killed: %s", rep.r, SupervisorDiedMessage)
				}
				if len(rep.left) > 0 {
					t.Errorf("processes %v of the step still ran when it was reported", rep.left)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the step was never reported")
			}
		})
	}
}

// startGroup starts `sh -c script` in a process group of its own, as a
// supervisor would, and records it in dir, claimed by claimer.
func startGroup(t *testing.T, dir, script, claimer string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	rec, err := claimRecord(dir, claimer)
	if err != nil || rec == nil {
		t.Fatalf("claiming %s: %v", dir, err)
	}
	defer rec.close()
	if err := recordGroup(rec, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// writeState writes a step's records as a supervisor would have.
func writeState(t *testing.T, dir string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A later engine adopting a step whose supervisor is gone kills what is
// left of the step's group before it reports the step, killed.
func TestAdoptKillsTheGroupOfAStepWhoseSupervisorDied(t *testing.T) {
	dir := t.TempDir()
	marker := fmt.Sprintf("sleep 88%d", os.Getpid()%100)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	// The step's shell stays unreaped, a zombie: that counts as dead.
	startGroup(t, dir, marker+" & "+marker, fmt.Sprint(gone.Process.Pid))
	for end := time.Now().Add(5 * time.Second); len(livingWith(marker)) < 2 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	stop := make(chan struct{})
	defer close(stop)
	r := Adopt(dir, stop, nil)
	if r == nil || r.Killed != SupervisorDiedMessage {
		t.Fatalf("Adopt = %+v, want killed: %s", r, SupervisorDiedMessage)
	}
	if left := livingWith(marker); len(left) > 0 {
		t.Fatalf("processes %v of the step survive its adoption", left)
	}
}

// A recorded group whose number now belongs to processes of another
// session, or started before the recorded leader, is not the step's: it
// is left alone, and the step is dead.
func TestReapGroupSparesAGroupThatIsNotTheSteps(t *testing.T) {
	for name, change := range map[string]func(*group){
		"another session": func(g *group) { g.Sid++ },
		// Well later: the group's other processes start a clock tick or
		// more after its leader, and one tick later would still count
		// them as the step's.
		"a later leader": func(g *group) { g.Start += 100000 },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			marker := fmt.Sprintf("sleep 89%d", os.Getpid()%100)
			startGroup(t, dir, marker, "1")
			g, err := readGroup(dir)
			if err != nil {
				t.Fatal(err)
			}
			change(&g)
			b, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			writeState(t, dir, "claim 1", "group "+string(b))
			if f := reapGroup(dir, nil); f != groupDead {
				t.Fatalf("reapGroup = %d, want groupDead", f)
			}
			if len(livingWith(marker)) == 0 {
				t.Fatal("the other group was killed")
			}
		})
	}
}

// Without a readable record, the step's death cannot be proved: nothing
// is reported until stop, and its locks stay held.
func TestReapGroupHoldsWhatItCannotProveDead(t *testing.T) {
	dir := t.TempDir()
	writeState(t, dir, "claim 1", "group {garbage")
	stop := make(chan struct{})
	res := make(chan fate, 1)
	go func() { res <- reapGroup(dir, stop) }()
	select {
	case f := <-res:
		t.Fatalf("reapGroup = %d before stop", f)
	case <-time.After(200 * time.Millisecond):
	}
	close(stop)
	if f := <-res; f != groupHeld {
		t.Fatalf("reapGroup = %d, want groupHeld", f)
	}
	if f := reapGroup(t.TempDir(), nil); f != noGroup {
		t.Fatalf("reapGroup of a directory without a record = %d, want noGroup", f)
	}
}

// A supervisor with many steps dies: every one is killed and reported,
// and the shared /proc scans keep that quick.
func TestManyStepsOfADeadSupervisorAreSettled(t *testing.T) {
	const n = 200
	before := supervisors()
	t.Cleanup(func() { killSupervisors(before) })
	marker := fmt.Sprintf("sleep 86%d", os.Getpid()%100)
	t.Cleanup(func() {
		for _, pid := range livingWith(marker) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	started := make(chan struct{}, n)
	done := make(chan *Result, n)
	l := &Local{Self: self(t), Isolation: Isolation{SharedTmp: true},
		Started: func(string, time.Time) { started <- struct{}{} },
		Done:    func(_ string, r *Result) { done <- r }}
	t.Cleanup(func() { _ = l.Close() })
	for i := range n {
		if err := l.Start(Job{Key: fmt.Sprint(i), Dir: t.TempDir(), Spec: Spec{Command: []string{"sh", "-c", marker + " & " + marker}, Env: os.Environ()}}); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		select {
		case <-started:
		case <-time.After(60 * time.Second):
			t.Fatal("not every step started")
		}
	}
	var sup int
	for p := range supervisors() {
		if !before[p] {
			sup = p
		}
	}
	t0 := time.Now()
	_ = syscall.Kill(sup, syscall.SIGKILL)
	for i := range n {
		select {
		case r := <-done:
			if r.Killed != SupervisorDiedMessage {
				t.Fatalf("result %+v", r)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%d of %d steps reported", i, n)
		}
	}
	t.Logf("%d steps settled in %v", n, time.Since(t0))
	if left := livingWith(marker); len(left) > 0 {
		t.Fatalf("%d processes of the steps survive", len(left))
	}
}
