package executor

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// outPipes carries a step's stdout and stderr on two pipes read by one
// goroutine. Two pipes cannot say in which order bytes written to both
// at about the same time were written: that is in their nature. With two
// copying goroutines (exec's own) the order of the log also depended on
// which one the scheduler ran first, so a step's last stderr line often
// landed among its first stdout lines. Here the reader wakes on either
// pipe and, each time, drains stdout before stderr, and again before it
// writes what it read from stderr: when a step writes its output and then
// its error, as most do at the end, the error is after the output in the
// log, and it is what the failed step's tail shows.
type outPipes struct {
	outR, errR int      // read ends, non-blocking, this process's
	outW, errW *os.File // write ends, the step's stdout and stderr
	stop       chan struct{}
	finished   chan struct{}
	copying    bool
}

// pollWait bounds one wait for output, so a stop is seen.
const pollWait = 50 // ms

// readsPerWake bounds the reads of one pipe per wake-up, so a step that
// floods stdout cannot keep its stderr from being read.
const readsPerWake = 16

func newOutPipes() (*outPipes, error) {
	var fds [4]int
	if err := syscall.Pipe2(fds[:2], syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	if err := syscall.Pipe2(fds[2:], syscall.O_CLOEXEC); err != nil {
		closeFds(fds[:2]...)
		return nil, err
	}
	// Only the read ends: the step's ends stay blocking.
	for _, fd := range []int{fds[0], fds[2]} {
		if err := syscall.SetNonblock(fd, true); err != nil {
			closeFds(fds[:]...)
			return nil, err
		}
	}
	return &outPipes{outR: fds[0], errR: fds[2],
		outW: os.NewFile(uintptr(fds[1]), "stdout"), errW: os.NewFile(uintptr(fds[3]), "stderr"),
		stop: make(chan struct{}), finished: make(chan struct{})}, nil
}

func closeFds(fds ...int) {
	for _, fd := range fds {
		_ = syscall.Close(fd)
	}
}

// started closes this process's copies of the write ends, once the step
// has its own, so the pipes end when the step's processes close them.
func (p *outPipes) started() {
	_ = p.outW.Close()
	_ = p.errW.Close()
}

// close releases the pipes of a step that never started: what copy
// does not close.
func (p *outPipes) close() {
	p.started()
	if !p.copying {
		closeFds(p.outR, p.errR)
	}
}

// start closes this process's write ends and copies the output in a
// goroutine of its own.
func (p *outPipes) start(stdout, stderr io.Writer) {
	p.started()
	p.copying = true
	go p.copy(stdout, stderr)
}

// copy reads both pipes into stdout and stderr until both ended or stop
// is closed (then it reads what is there and returns), and closes the
// read ends; finished closes when it is done.
func (p *outPipes) copy(stdout, stderr io.Writer) {
	defer close(p.finished)
	defer closeFds(p.outR, p.errR)
	fds := []unix.PollFd{{Fd: int32(p.outR), Events: unix.POLLIN}, {Fd: int32(p.errR), Events: unix.POLLIN}}
	var bufs [2][]byte // from copyBufs at the first read, back at the end
	defer func() {
		for i := range bufs {
			if bufs[i] != nil {
				copyBufs.Put(&bufs[i])
			}
		}
	}()
	// read reads what pipe i holds now into its buffer (0: nothing now,
	// or it ended, which marks it so).
	read := func(i int) []byte {
		if bufs[i] == nil {
			bufs[i] = *copyBufs.Get().(*[]byte)
		}
		for {
			n, err := syscall.Read(int(fds[i].Fd), bufs[i])
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if n == 0 && err == nil || err != nil && !errors.Is(err, syscall.EAGAIN) {
				fds[i].Fd = -1 // ended, or unreadable
			}
			return bufs[i][:max(n, 0)]
		}
	}
	drainOut := func() {
		for range readsPerWake {
			if fds[0].Fd < 0 {
				return
			}
			b := read(0)
			if len(b) == 0 {
				return
			}
			_, _ = stdout.Write(b)
		}
	}
	for fds[0].Fd >= 0 || fds[1].Fd >= 0 {
		stopping := false
		select {
		case <-p.stop:
			stopping = true
		default:
		}
		if _, err := unix.Poll(fds, pollWait); err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		// stdout first, whatever woke the reader: see outPipes.
		drainOut()
		for range readsPerWake {
			if fds[1].Fd < 0 {
				break
			}
			b := read(1)
			if len(b) == 0 {
				break
			}
			// What the step wrote to stdout before this was written is in
			// its pipe by now: drained first, it stays before it in the
			// log (the reader may have found stdout empty just before).
			drainOut()
			_, _ = stderr.Write(b)
		}
		if stopping {
			return
		}
	}
}

// copyBufs are copy's read buffers: one per step would be the
// supervisor's largest allocation, and what most of its collections are for.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// wait waits for the output to end after the step exited: a background
// child that keeps the pipes open is given grace, then cut off.
func (p *outPipes) wait(grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.finished:
		return
	case <-t.C:
	}
	close(p.stop)
	<-p.finished
}
