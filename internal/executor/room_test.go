package executor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fullDisk mounts a tmpfs, fills it, and returns it with a function that
// frees the room again.
func fullDisk(t *testing.T) (disk string, free func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a full filesystem needs root")
	}
	disk = t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("no tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(disk, syscall.MNT_DETACH) })
	filler := filepath.Join(disk, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	_ = f.Close()
	return disk, func() {
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
	}
}

// roomJob is a step, its directory on disk, that leaves a mark outside it
// when it runs.
func roomJob(t *testing.T, disk string) (Job, string) {
	mark := filepath.Join(t.TempDir(), "ran")
	dir := filepath.Join(disk, "step")
	return Job{Key: "k", Dir: dir, Spec: Spec{Command: []string{"touch", mark}, Env: os.Environ()}}, mark
}

func noResultFor(t *testing.T, done <-chan *Result, d time.Duration) {
	t.Helper()
	select {
	case r := <-done:
		t.Fatalf("a step started on a full disk ended at once: exit %d, start error %q; want it to wait for room", r.ExitCode, r.StartError)
	case <-time.After(d):
	}
}

func waitResult(t *testing.T, done <-chan *Result) *Result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the step was never reported")
		return nil
	}
}

// A step whose directory's disk has no room for its records waits, as a
// commit does, and runs once room returns: it does not end in Error.
func TestStepOnAFullDiskWaitsForRoom(t *testing.T) {
	disk, free := fullDisk(t)
	j, mark := roomJob(t, disk)
	_, done, why := startRoomStep(t, j)
	noResultFor(t, done, 1500*time.Millisecond)
	select {
	case w := <-why:
		if !strings.HasPrefix(w, j.Key+": ") || !strings.Contains(w, j.Dir) || !strings.Contains(w, "no space left") {
			t.Fatalf("the engine was told %q; want the step's key, its directory and that the disk is full", w)
		}
	default:
		t.Fatal("the engine was not told that the step waits")
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("the step ran on a full disk, unrecorded")
	}
	free()
	r := waitResult(t, done)
	if r.ExitCode != 0 || r.StartError != "" {
		t.Fatalf("after room returned: exit %d, start error %q; want the step run to success", r.ExitCode, r.StartError)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("the step did not run: %v", err)
	}
	select {
	case w := <-why:
		if w != j.Key+": " {
			t.Fatalf("after the wait the engine was told %q; want that the step no longer waits (no reason)", w)
		}
	default:
		t.Fatal("the engine was not told that the step no longer waits")
	}
}

// A step killed while it waits for room ends killed, and never runs.
func TestStepKilledWhileWaitingForRoomNeverRuns(t *testing.T) {
	disk, free := fullDisk(t)
	j, mark := roomJob(t, disk)
	l, done, _ := startRoomStep(t, j)
	noResultFor(t, done, 300*time.Millisecond)
	l.Kill(j.Key, "terminated by the test")
	r := waitResult(t, done)
	if r.Killed != "terminated by the test" || r.ExitCode != -1 || !r.Started.IsZero() {
		t.Fatalf("killed while waiting: exit %d, killed %q, start error %q, started %v; want killed, never started", r.ExitCode, r.Killed, r.StartError, r.Started)
	}
	free()
	time.Sleep(500 * time.Millisecond)
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("a step killed before it started ran once room returned")
	}
}

// A step directory the engine removed and made again while its step
// waited for room (an engine that took over found the step never
// started) is not taken by the old request: the new one owns it.
func TestStepWaitingForRoomLeavesAStepDirectoryMadeAgain(t *testing.T) {
	disk, free := fullDisk(t)
	j, mark := roomJob(t, disk)
	_, done, _ := startRoomStep(t, j)
	noResultFor(t, done, 300*time.Millisecond)
	if err := os.RemoveAll(j.Dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(j.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	free()
	r := waitResult(t, done)
	if r.StartError == "" || !strings.Contains(r.StartError, "not started") {
		t.Fatalf("the old request for a directory made again: exit %d, start error %q; want it not started", r.ExitCode, r.StartError)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("the old request ran in the directory made again")
	}
	if _, err := os.Stat(filepath.Join(j.Dir, StateFile)); err == nil {
		t.Fatal("the old request claimed the directory made again")
	}
}

// An engine that goes away while a step waits for room does not leave its
// supervisor waiting forever: the step gives up unstarted, for the next
// engine to start, and never runs from the old request.
func TestEngineGoneWhileAStepWaitsForRoom(t *testing.T) {
	disk, free := fullDisk(t)
	j, mark := roomJob(t, disk)
	l, done, _ := startRoomStep(t, j)
	noResultFor(t, done, 300*time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the supervisor did not exit while a step waited for room")
	}
	select {
	case r := <-done:
		if !strings.Contains(r.StartError, "not started") {
			t.Fatalf("the waiting step: exit %d, start error %q; want not started", r.ExitCode, r.StartError)
		}
	default:
	}
	free()
	time.Sleep(500 * time.Millisecond)
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("the step ran after its engine went away")
	}
}

// A step whose deadline passes while it waits for room ends with its
// deadline's message, unstarted, and never runs (a review found it ran
// once room returned, past its deadline).
func TestStepPastItsDeadlineWhileWaitingForRoomNeverRuns(t *testing.T) {
	disk, free := fullDisk(t)
	j, mark := roomJob(t, disk)
	j.Spec.Deadline = time.Now().Add(400 * time.Millisecond)
	j.Spec.DeadlineMessage = "Step exceeded its deadline"
	_, done, _ := startRoomStep(t, j)
	select {
	case r := <-done:
		if r.Killed != j.Spec.DeadlineMessage || r.ExitCode != -1 || !r.Started.IsZero() {
			t.Fatalf("past its deadline while waiting: exit %d, killed %q, start error %q, started %v", r.ExitCode, r.Killed, r.StartError, r.Started)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the deadline passed 4.6 s ago and the step still waits")
	}
	free()
	time.Sleep(500 * time.Millisecond)
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("a step past its deadline ran once room returned")
	}
}

// A step whose disk has room for its claim but not for its script waits
// for room too, and runs its script once there is (a review found it
// ended in Error).
func TestStepWithRoomForItsClaimOnlyWaitsToWriteItsScript(t *testing.T) {
	j, mark, free := scriptJobWithRoomForItsClaim(t)
	_, done, why := startRoomStep(t, j)
	noResultFor(t, done, 1500*time.Millisecond)
	select {
	case w := <-why:
		if !strings.Contains(w, "script") || !strings.Contains(w, "no space left") {
			t.Fatalf("the engine was told %q; want the script that could not be written, and why", w)
		}
	default:
		t.Fatal("the engine was not told that the step waits")
	}
	free()
	r := waitResult(t, done)
	if r.ExitCode != 0 || r.StartError != "" {
		t.Fatalf("after room returned: exit %d, start error %q", r.ExitCode, r.StartError)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("the script did not run: %v", err)
	}
}

// A step this supervisor took, waiting for room for its script when its
// engine goes away, waits on and runs once room returns, its result
// recorded for the next engine to adopt: it is not recorded as not
// started (the next engine would then fail it, though nothing ran).
func TestTakenStepWaitingForRoomOutlivesItsEngine(t *testing.T) {
	j, mark, free := scriptJobWithRoomForItsClaim(t)
	l, _, why := startRoomStep(t, j)
	select {
	case <-why:
	case <-time.After(10 * time.Second):
		t.Fatal("the step never said it waits")
	}
	l.Detach()
	time.Sleep(300 * time.Millisecond)
	free()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := ReadResult(j.Dir)
		if err == nil {
			if r.ExitCode != 0 || r.StartError != "" {
				t.Fatalf("recorded: exit %d, start error %q; want the step run to success", r.ExitCode, r.StartError)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no result recorded 20 s after room returned: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("the step did not run: %v", err)
	}
}

// startRoomStep starts j through a Local of its own, closed when the test
// ends, and returns it, the channel of its results and that of what it
// tells the engine about waiting ("KEY: WHY").
func startRoomStep(t *testing.T, j Job) (*Local, chan *Result, chan string) {
	t.Helper()
	before := supervisors()
	t.Cleanup(func() { killSupervisors(before) })
	done, why := make(chan *Result, 1), make(chan string, 10)
	l := &Local{Self: self(t), Isolation: Isolation{SharedTmp: true}, Done: func(_ string, r *Result) { done <- r }}
	l.SetWaiting(func(key, msg string) { why <- key + ": " + msg })
	if err := l.Start(j); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, done, why
}

// scriptJobWithRoomForItsClaim is a script step on a disk with one page
// free, the claim's: its script finds no room.
func scriptJobWithRoomForItsClaim(t *testing.T) (Job, string, func()) {
	t.Helper()
	disk, free := fullDisk(t)
	filler := filepath.Join(disk, "filler")
	st, err := os.Stat(filler)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filler, st.Size()-4096); err != nil {
		t.Fatal(err)
	}
	j, mark := roomJob(t, disk)
	j.Spec.Command = []string{"sh"}
	j.Spec.Script = "touch " + mark
	return j, mark, free
}
