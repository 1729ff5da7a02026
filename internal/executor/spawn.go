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
// unlocked, and Go discards it with whatever setup changed in it.
func spawn(cmd *exec.Cmd, setup func() error, record func(pid int) error) (done <-chan error, err error) {
	started := make(chan error, 1)
	waited := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// A raised supervisor forks its step from a thread lowered to the
		// steps' nice (priority_linux.go): the step inherits that thread's.
		lowered, err := toStepNice()
		if setup == nil {
			defer func() {
				// A thread left lowered would slow the supervisor: one
				// that cannot be raised again stays locked, and Go
				// discards it.
				if !lowered || backToControl() {
					runtime.UnlockOSThread()
				}
			}()
		}
		if err != nil {
			started <- errSetup{err}
			return
		}
		if setup != nil {
			if err := setup(); err != nil {
				started <- errSetup{err}
				return
			}
		}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		if record != nil {
			if err := record(cmd.Process.Pid); err != nil {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				_ = cmd.Wait()
				started <- err
				return
			}
		}
		started <- nil
		waited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return waited, nil
}

// waitFor is what spawn's done says, once it says it.
func waitFor(done <-chan error) error { return <-done }

// errSetup is a failure of spawn's setup (the step's namespace, root or
// volumes): the step's start error as it is, not its program's.
type errSetup struct{ err error }

func (e errSetup) Error() string { return e.err.Error() }
func (e errSetup) Unwrap() error { return e.err }
