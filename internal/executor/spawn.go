package executor

import (
	"os/exec"
	"runtime"
	"syscall"
)

// spawn starts cmd from an OS thread of its own and waits for it there;
// done gets what Wait said. record, when set, is called with the new
// process's pid before anything waits for it (its /proc entry is there
// until then), from the calling goroutine: the spawning thread may be in
// the step's mount namespace, where paths lead elsewhere. If record
// fails, the process's group is killed and reaped and spawn returns that
// error.
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
	proceed := make(chan bool, 1)
	waited := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if setup == nil {
			defer runtime.UnlockOSThread()
		} else if err := setup(); err != nil {
			started <- err
			return
		}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		if !<-proceed {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		waited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	if record != nil {
		if err := record(cmd.Process.Pid); err != nil {
			proceed <- false
			_ = waitFor(waited)
			return nil, err
		}
	}
	proceed <- true
	return waited, nil
}

// waitFor is what spawn's done says, once it says it.
func waitFor(done <-chan error) error { return <-done }
