package executor

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// ControlRaise is how far below the steps' nice value the engine and its
// supervisor run when they may (root, or CAP_SYS_NICE): a lock handoff
// is a chain of their wake-ups, and on a machine whose cores the steps
// keep busy each wake-up otherwise queues behind them.
const ControlRaise = 5

// controlSlice is the scheduler slice the raised threads ask for
// (sched_setattr's sched_runtime, honoured by Linux's EEVDF scheduler
// since 6.12, ignored before): nice alone gives them a larger share, but
// a thread woken while busy steps hold every core still waits for the
// running one's slice (1.4 ms on 2 cores) to end, and a handoff is a
// chain of such wake-ups. A short slice gives the woken thread an
// earlier deadline, so it runs at once; its bursts (a commit, a spawn)
// are mostly shorter than this.
const controlSlice = 300 * time.Microsecond

// Linux's nice is a thread's, not a process's: setpriority with
// PRIO_PROCESS changes one thread, and a new thread inherits its
// creator's. So raising the control plane means raising every thread it
// has, and a step must be forked from a thread lowered back to the
// steps' value, or it would inherit the raised one.

// stepNice is the nice value steps run at when the supervisor runs
// raised (set is false otherwise). It is set once, before any step is
// spawned (SetStepNice), and only read afterwards.
var stepNice struct {
	set        bool
	nice, ctrl int
	ctrlSlice  uint64 // the raised threads' slice (0: the default)
}

// SetStepNice makes the supervisor start every step at nice n, its own
// threads staying at their present value.
func SetStepNice(n int) error {
	if n < -20 || n > 19 {
		return fmt.Errorf("--step-nice %d: a nice value is from -20 to 19", n)
	}
	ctrl, err := threadNice(0)
	if err != nil {
		return err
	}
	stepNice.set, stepNice.nice, stepNice.ctrl = true, n, ctrl
	if a, err := unix.SchedGetAttr(0, 0); err == nil && ctrl < n {
		stepNice.ctrlSlice = a.Runtime // inherited from the raised engine
	}
	return nil
}

// RaiseControl lowers the nice value of every thread of this process by
// ControlRaise (to -20 at most) and returns the value they had, which is
// the steps' (Isolation.StepNice). An error says nothing was raised: the
// process may not (not root, no CAP_SYS_NICE).
func RaiseControl() (base int, err error) {
	if base, err = threadNice(0); err != nil {
		return 0, err
	}
	target := max(base-ControlRaise, -20)
	// A thread made while the list is read inherits from its creator,
	// which may not be raised yet: another pass finds it. Go makes few
	// threads, so a pass that changes nothing comes soon.
	for pass := 0; pass < 8; pass++ {
		tids, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return base, fmt.Errorf("listing this process's threads in /proc/self/task: %w", err)
		}
		changed := 0
		for _, t := range tids {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			n, err := threadNice(tid)
			if err != nil || n == target {
				continue // a thread that ended meanwhile
			}
			if err := setThreadPriority(tid, target, uint64(controlSlice)); err != nil {
				if pass == 0 && changed == 0 {
					return base, fmt.Errorf("raising the engine's priority to nice %d: %w", target, err)
				}
				continue
			}
			changed++
		}
		if changed == 0 {
			return base, nil
		}
	}
	return base, nil
}

// threadNice is a thread's nice value (0: the calling thread).
func threadNice(tid int) (int, error) {
	p, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err != nil {
		return 0, fmt.Errorf("reading the nice value of thread %d: %w", tid, err)
	}
	return 20 - p, nil // the system call's raw value: 20 - nice
}

// toStepNice sets the calling thread, which must be locked to its
// goroutine and about to fork a step, to the steps' nice value; lowered
// says it changed it. A step must not start raised, so an error fails
// the start.
func toStepNice() (lowered bool, err error) {
	if !stepNice.set || stepNice.nice == stepNice.ctrl {
		return false, nil
	}
	if err := setThreadPriority(unix.Gettid(), stepNice.nice, 0); err != nil {
		return false, fmt.Errorf("setting the step's priority to nice %d: %w", stepNice.nice, err)
	}
	return true, nil
}

// backToControl raises the calling thread again after toStepNice; false
// means it could not, and the thread must not be given back to Go.
func backToControl() bool {
	return setThreadPriority(unix.Gettid(), stepNice.ctrl, stepNice.ctrlSlice) == nil
}

// setThreadPriority sets a thread's nice and its scheduler slice (0: the
// default slice, which is what a step must get: a process inherits its
// forking thread's slice). Its policy stays what it is. Where the kernel
// has no sched_setattr or refuses the slice, the nice alone is set.
func setThreadPriority(tid, nice int, slice uint64) error {
	a, err := unix.SchedGetAttr(tid, 0)
	if err == nil && (a.Policy == unix.SCHED_NORMAL || a.Policy == unix.SCHED_BATCH) {
		a.Nice, a.Runtime, a.Flags = int32(nice), slice, 0
		a.Deadline, a.Period = 0, 0
		if err = unix.SchedSetAttr(tid, a, 0); err == nil {
			return nil
		}
	}
	return unix.Setpriority(unix.PRIO_PROCESS, tid, nice)
}
