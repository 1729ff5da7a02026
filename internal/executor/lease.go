package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// With several engine nodes on one database, a node that dies or freezes
// loses its lease, and once it expired (and a safety margin passed) other
// nodes take over its workflows and hand its locks on. Its steps must be
// dead by then, or a permit is used twice; but the supervisor outlives
// the engine, and a frozen engine cannot kill anything. So the engine
// writes its lease expiry to a file at every renewal (WriteLease), each
// step names that file (Spec.LeaseFile), and the supervisor kills the
// step as soon as the last expiry it read has passed: no expiry it could
// read, no run.

// leasePoll bounds how long a lease file goes unread while steps depend
// on it; an expiry is acted on at its instant, not at the next read.
const leasePoll = 100 * time.Millisecond

// leaseTmpSeq tells apart the temporary files of concurrent WriteLease
// calls of one process.
var leaseTmpSeq atomic.Uint64

// WriteLease records a node's lease expiry in path for the supervisors of
// its steps: unix nanoseconds as decimal text. The file is replaced
// whole (written aside, then renamed), so a reader sees the old expiry or
// the new one, never a mix.
func WriteLease(path string, expires time.Time) error {
	tmp := fmt.Sprintf("%s.%d.%d.tmp", path, os.Getpid(), leaseTmpSeq.Add(1))
	b := strconv.AppendInt(nil, expires.UnixNano(), 10)
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the lease file %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing the lease file %s: %w", path, err)
	}
	return nil
}

// ReadLease reads the expiry WriteLease recorded in path.
func ReadLease(path string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once, below
		}
		return time.Time{}, fmt.Errorf("the lease file %s: %w", path, err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ns <= 0 || strings.HasPrefix(s, "+") {
		return time.Time{}, fmt.Errorf("the lease file %s holds %q, not an expiry in unix nanoseconds", path, truncate(s, 40))
	}
	return time.Unix(0, ns), nil
}

// truncate cuts s to at most n bytes, for quoting a file in an error.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// leaseExpiredText says why a step was killed or not started.
func leaseExpiredText(at time.Time) string {
	return fmt.Sprintf("its node's lease expired at %s (the node stopped renewing it: dead, frozen or cut off from the database)",
		at.Format("15:04:05.000"))
}

// leases are the lease files the running steps of a supervisor depend on,
// each read by one poller however many steps name it.
type leases struct {
	mu      sync.Mutex
	watches map[string]*leaseWatch
}

// leaseWatch follows one lease file.
type leaseWatch struct {
	path  string
	users int           // steps holding it; leases.mu guards it
	stop  chan struct{} // ends the poller once no step holds it

	mu      sync.Mutex
	expires time.Time   // the last expiry read; zero until one was
	epoch   *leaseEpoch // the steps started under expires
	lastErr string      // the last read error reported, to report changes only
}

// leaseEpoch ends when the lease its steps started under expires; a
// renewal read after that starts a new epoch for the steps started then.
type leaseEpoch struct {
	expired chan struct{} // closed once at has passed
	at      time.Time     // set before expired closes
}

// acquire is the watch of path, polled while some step holds it.
func (ls *leases) acquire(path string) *leaseWatch {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.watches == nil {
		ls.watches = map[string]*leaseWatch{}
	}
	w := ls.watches[path]
	if w == nil {
		w = &leaseWatch{path: path, stop: make(chan struct{}), epoch: &leaseEpoch{expired: make(chan struct{})}}
		ls.watches[path] = w
		go w.poll()
	}
	w.users++
	return w
}

// release ends a step's hold on w; the last one stops its poller.
func (ls *leases) release(w *leaseWatch) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if w.users--; w.users == 0 {
		delete(ls.watches, w.path)
		close(w.stop)
	}
}

// poll reads the file every leasePoll, and wakes at the expiry itself,
// until no step holds the watch.
func (w *leaseWatch) poll() {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		exp, _, _ := w.refresh(time.Now())
		wait := leasePoll
		if until := time.Until(exp); until >= 0 && until < wait {
			wait = until + time.Millisecond
		}
		t.Reset(wait)
	}
}

// refresh reads the file and ends the epoch whose expiry has passed by
// now. What cannot be read leaves the last expiry read in force. It
// returns that expiry (zero if none was ever read), the epoch current
// after the read, and why the file could not be read.
func (w *leaseWatch) refresh(now time.Time) (time.Time, *leaseEpoch, error) {
	exp, err := ReadLease(w.path)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil:
		w.lastErr = ""
		w.expires = exp
		if now.Before(exp) && isClosed(w.epoch.expired) {
			w.epoch = &leaseEpoch{expired: make(chan struct{})}
		}
	case err.Error() != w.lastErr:
		w.lastErr = err.Error()
		held := "no expiry was read yet: no step starts under it"
		if !w.expires.IsZero() {
			held = "the last expiry read, " + w.expires.Format("15:04:05.000") + ", stays in force"
		}
		fmt.Fprintf(os.Stderr, "semaflow exec: %v; %s\n", err, held)
	}
	if !w.expires.IsZero() && !now.Before(w.expires) && !isClosed(w.epoch.expired) {
		w.epoch.at = w.expires
		close(w.epoch.expired)
	}
	return w.expires, w.epoch, err
}

// admit reads the lease just before a step starts: the step may start only
// under an expiry read and not yet passed. It returns the epoch whose end
// kills the step.
func (w *leaseWatch) admit() (*leaseEpoch, error) {
	exp, ep, err := w.refresh(time.Now())
	switch {
	case exp.IsZero():
		return nil, fmt.Errorf("not started: no lease of its node could be read (%w)", err)
	case isClosed(ep.expired):
		return nil, errors.New("not started: " + leaseExpiredText(exp))
	}
	return ep, nil
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
