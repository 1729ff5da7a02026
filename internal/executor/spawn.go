package executor

import (
	"os/exec"
	"runtime"
	"syscall"
)

// spawn starts cmd from an OS thread of its own and waits for it there;
// done gets what Wait said. record, when set, is called with the new
// process's pid on that thread, before anything waits for it (its /proc
// entry is there until then): it must not go by paths, as the thread may
// be in the step's mount namespace, where paths lead elsewhere (record
// through a directory handle opened before). If record fails, the
// process's group is killed and reaped and spawn returns that error.
// Recording on the spawning thread spares it a park and a wake-up
// between start and wait: a locked thread that blocks hands its
// processor to another thread and needs a switch back.
//
// A step's parent-death signal (SysProcAttr.Pdeathsig) fires when the
// thread that started it ends, not the process (https://go.dev/issue/27505),
// and Go ends a thread whenever a goroutine that locked it returns without
// unlocking, as those that ran a setup do. So the starting thread stays
// locked, to this goroutine alone, until the step is reaped. setup, when
// set, runs on that thread before the start; the thread is then never
// unlocked: it serves later steps with a setup (nsworker_linux.go), or Go
// discards it with whatever setup changed in it.
func spawn(cmd *exec.Cmd, setup func() error, record func(pid int) error) (done <-chan error, err error) {
	j := spawnJob{cmd: cmd, setup: setup, record: record, started: make(chan error, 1), waited: make(chan error, 1)}
	if setup == nil {
		go func() {
			runtime.LockOSThread()
			// A thread left lowered would slow the supervisor: one that
			// cannot be raised again stays locked, and Go discards it.
			if _, usable := j.runAtStepNice(); usable {
				runtime.UnlockOSThread()
			}
		}()
	} else {
		startInNamespace(j)
	}
	if err := <-j.started; err != nil {
		return nil, err
	}
	return j.waited, nil
}

// spawnJob is one start for spawn, run on a locked thread.
type spawnJob struct {
	cmd             *exec.Cmd
	setup           func() error
	record          func(pid int) error
	started, waited chan error
}

// runAtStepNice is run with the calling thread lowered to the steps' nice
// for the start, when the supervisor runs raised (priority_linux.go): the
// step inherits the nice of the thread that forks it. usable says the
// thread is back at the supervisor's own and may serve again.
func (j spawnJob) runAtStepNice() (reaped, usable bool) {
	lowered, err := toStepNice()
	if err != nil {
		j.started <- errSetup{err}
		return false, !lowered
	}
	reaped = j.run()
	return reaped, !lowered || backToControl()
}

// run does the job on the calling (locked) thread; it says whether the
// step ran and was reaped (a thread whose setup or start failed may be in
// any state).
func (j spawnJob) run() bool {
	if j.setup != nil {
		if err := j.setup(); err != nil {
			j.started <- errSetup{err}
			return false
		}
	}
	if err := startCommand(j.cmd); err != nil {
		j.started <- err
		return false
	}
	if j.record != nil {
		if err := j.record(j.cmd.Process.Pid); err != nil {
			_ = syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL)
			_ = j.cmd.Wait()
			j.started <- err
			return false
		}
	}
	j.started <- nil
	j.waited <- j.cmd.Wait()
	return true
}

// waitFor is what spawn's done says, once it says it.
func waitFor(done <-chan error) error { return <-done }

// errSetup is a failure of spawn's setup (the step's namespace, root or
// volumes): the step's start error as it is, not its program's.
type errSetup struct{ err error }

func (e errSetup) Error() string { return e.err.Error() }
func (e errSetup) Unwrap() error { return e.err }
