package executor

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
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

// controlTimerSlack is the timer slack the raised threads get: how far
// past its time the kernel may end a sleep of theirs, to serve several
// wake-ups at once. Go's runtime monitor sleeps 20 µs at a time while any
// thread blocks in a system call, which on a busy engine or supervisor is
// nearly always: with the kernel's default slack (50 µs) it wakes some
// 15,000 times a second and was a tenth of the supervisor's CPU. Nothing
// the control plane times is that fine (its own timers are milliseconds
// to seconds); what the larger slack delays is the monitor's taking a
// processor back from a thread blocked in the kernel, by a fraction of a
// millisecond, while the other processor runs on.
const controlTimerSlack = 250 * time.Microsecond

// Linux's nice is a thread's, not a process's: setpriority with
// PRIO_PROCESS changes one thread, and a new thread inherits its
// creator's. So raising the control plane means raising every thread it
// has, and a step must be forked from a thread lowered back to the
// steps' value, or it would inherit the raised one.

// stepNice is the nice value and scheduler slice steps run at when this
// process runs raised (set is false otherwise): the supervisor's, set by
// SetStepNice, or the engine's, set by RaiseControl, for the processes
// it starts for a workflow (StartAtStepPriority). It is set once, before
// any of those starts, and only read afterwards.
var stepNice struct {
	set        bool
	nice, ctrl int
	slice      uint64 // the steps' slice (0: the default)
	ctrlSlice  uint64 // the raised threads' slice (0: the default)
	// The steps' timer slack and the raised threads' (ns); 0: timer
	// slack is left as it is.
	timerSlack, ctrlTimerSlack uint64
}

// SetStepNice makes the supervisor start every step at nice n, scheduler
// slice slice (ns; 0: the kernel's default) and timer slack timerSlack
// (ns; 0: the supervisor's own), its own threads staying as they are.
func SetStepNice(n int, slice, timerSlack uint64) error {
	if n < -20 || n > 19 {
		return fmt.Errorf("--step-nice %d: a nice value is from -20 to 19", n)
	}
	ctrl, err := threadNice(0)
	if err != nil {
		return err
	}
	stepNice.set, stepNice.nice, stepNice.ctrl, stepNice.slice = true, n, ctrl, slice
	if a, err := unix.SchedGetAttr(0, 0); err == nil {
		stepNice.ctrlSlice = a.Runtime // inherited from the raised engine
	}
	if own, err := ownTimerSlack(); timerSlack != 0 && err == nil {
		stepNice.timerSlack, stepNice.ctrlTimerSlack = timerSlack, own // own: the raised engine's
	}
	return nil
}

// RaiseControl lowers the nice value of every thread of this process by
// ControlRaise (to -20 at most), giving them the short controlSlice and
// the long controlTimerSlack, and returns what they had: the steps'
// priority (Isolation.StepNice, StepSlice, StepTimerSlack; a slice of 0
// is the kernel's default, a timer slack of 0 one left as it was). An
// error says nothing was raised: the process may not (not root, no
// CAP_SYS_NICE).
func RaiseControl() (base int, slice, timerSlack uint64, err error) {
	if base, err = threadNice(0); err != nil {
		return 0, 0, 0, err
	}
	slice = ownSlice()
	// Every thread has the one semaflow was started with until raised.
	if own, err := ownTimerSlack(); err == nil {
		timerSlack = own
	}
	target := max(base-ControlRaise, -20)
	// A thread made while the list is read inherits from its creator,
	// which may not be raised yet: another pass finds it. Go makes few
	// threads, so a pass that changes nothing comes soon.
	for pass := 0; pass < 8; pass++ {
		tids, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return base, slice, 0, fmt.Errorf("listing this process's threads in /proc/self/task: %w", err)
		}
		changed := 0
		for _, t := range tids {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			n, err := threadNice(tid)
			if err != nil {
				continue // a thread that ended meanwhile
			}
			if n != target {
				if err := setThreadPriority(tid, target, uint64(controlSlice)); err != nil {
					if pass == 0 && changed == 0 {
						return base, slice, 0, fmt.Errorf("raising the engine's priority to nice %d: %w", target, err)
					}
					continue
				}
				changed++
			}
			// Only on a raised thread: a step forked from one that is not
			// would keep it. A saving, not a guarantee: a thread left at
			// its own slack only wakes more, and steps get semaflow's own
			// either way (toStepNice).
			if timerSlack != 0 {
				_ = setThreadTimerSlack(tid, uint64(controlTimerSlack))
			}
		}
		if changed == 0 {
			break
		}
	}
	stepNice.set, stepNice.nice, stepNice.ctrl = true, base, target
	stepNice.slice, stepNice.ctrlSlice = slice, uint64(controlSlice)
	if timerSlack != 0 {
		stepNice.timerSlack, stepNice.ctrlTimerSlack = timerSlack, uint64(controlTimerSlack)
	}
	return base, slice, timerSlack, nil
}

// ownTimerSlack is the calling thread's timer slack (ns).
func ownTimerSlack() (uint64, error) {
	n, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return 0, err
	}
	return uint64(n), nil
}

// setThreadTimerSlack sets the timer slack of thread tid of this process
// (ns): by /proc for another thread, which needs CAP_SYS_NICE. A thread
// inherits its creator's slack, a process its forking thread's.
func setThreadTimerSlack(tid int, ns uint64) error {
	if tid == unix.Gettid() {
		return unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(ns), 0, 0, 0)
	}
	return os.WriteFile("/proc/"+strconv.Itoa(tid)+"/timerslack_ns", []byte(strconv.FormatUint(ns, 10)), 0)
}

// ownSlice is the calling thread's scheduler slice, which semaflow was
// started with (threads inherit it), or 0 when that is the kernel's
// default or unknown. The kernel reports the default as a number too:
// it is read on a thread of its own, reset to the default, which Go
// then discards.
func ownSlice() uint64 {
	a, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return 0
	}
	def := make(chan uint64, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is discarded
		d, err := unix.SchedGetAttr(0, 0)
		if err == nil {
			d.Runtime, d.Flags, d.Deadline, d.Period = 0, 0, 0, 0
			if err = unix.SchedSetAttr(0, d, 0); err == nil {
				d, err = unix.SchedGetAttr(0, 0)
			}
		}
		if err != nil {
			def <- a.Runtime
			return
		}
		def <- d.Runtime
	}()
	if a.Runtime == <-def {
		return 0
	}
	return a.Runtime
}

// StartAtStepPriority starts cmd as a step is started: from an OS thread
// lowered to the steps' nice and slice while this process runs raised
// (RaiseControl). What the engine runs for a workflow (git for an input
// artifact) is the workflow's work, and must not compete with the steps
// at the control plane's priority. Wait for cmd as usual.
func StartAtStepPriority(cmd *exec.Cmd) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		lowered, err := toStepNice()
		if err == nil {
			err = cmd.Start() // forks from this thread: the child inherits its priority
		}
		started <- err
		// A thread that cannot be raised again stays locked: Go discards it.
		if !lowered || backToControl() {
			runtime.UnlockOSThread()
		}
	}()
	return <-started
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
// goroutine and about to fork a step, to the steps' nice value and
// slice; lowered says it changed it. A step must not start raised, so an
// error fails the start.
func toStepNice() (lowered bool, err error) {
	if !stepNice.set || (stepNice.nice == stepNice.ctrl && stepNice.slice == stepNice.ctrlSlice &&
		stepNice.timerSlack == stepNice.ctrlTimerSlack) {
		return false, nil
	}
	if err := setThreadPriority(unix.Gettid(), stepNice.nice, stepNice.slice); err != nil {
		return false, fmt.Errorf("setting the step's priority to nice %d: %w", stepNice.nice, err)
	}
	if stepNice.timerSlack != 0 {
		if err := setThreadTimerSlack(unix.Gettid(), stepNice.timerSlack); err != nil {
			return true, fmt.Errorf("setting the step's timer slack to %d ns: %w", stepNice.timerSlack, err)
		}
	}
	return true, nil
}

// backToControl raises the calling thread again after toStepNice; false
// means it could not, and the thread must not be given back to Go.
func backToControl() bool {
	if stepNice.ctrlTimerSlack != 0 && setThreadTimerSlack(unix.Gettid(), stepNice.ctrlTimerSlack) != nil {
		return false
	}
	return setThreadPriority(unix.Gettid(), stepNice.ctrl, stepNice.ctrlSlice) == nil
}

// setThreadPriority sets a thread's nice and its scheduler slice (0: the
// default slice; a process inherits its forking thread's slice, and a
// step must get semaflow's own). Its policy stays what it is. Where the kernel
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
