package executor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// request is one line the engine writes to the supervisor.
type request struct {
	Op     string `json:"op"` // "start" or "kill"
	Key    string `json:"key"`
	Dir    string `json:"dir,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// notice is one line the supervisor writes back.
type notice struct {
	Key   string `json:"key"`
	Event string `json:"event"` // "started" or "exited"
	// At is when the step's process was running, by the supervisor's
	// clock (for "started").
	At time.Time `json:"at,omitzero"`
	// Result is the step's outcome (for "exited"). result.json holds it
	// too, but a write there can fail (a full disk); this copy then is
	// the record the engine goes by.
	Result *Result `json:"result,omitempty"`
}

// maxSupervisorThreads is the supervisor's thread limit: room for 100,000
// running steps and the runtime's own threads.
const maxSupervisorThreads = 101_000

// maxNoticeBacklog is how many bytes of notices may wait for the engine
// before exited notices stop carrying results already on disk.
const maxNoticeBacklog = 64 << 20

// Serve is ServeIsolated with the default Isolation.
func Serve(in io.Reader, out io.Writer) error { return ServeIsolated(in, out, Isolation{}) }

// ServeIsolated is the body of `semaflow exec --serve`: it reads requests
// from in and reports on out until in closes, then waits for the steps
// still running, so they are supervised to the end even if the engine is
// gone. iso says how steps are confined.
func ServeIsolated(in io.Reader, out io.Writer, iso Isolation) error {
	// Once the engine is gone, writing a notice hits a closed pipe; Go
	// would then die of SIGPIPE and orphan the steps still running.
	signal.Ignore(syscall.SIGPIPE)
	// Every running step holds one OS thread here, locked for the step's
	// life (spawn.go: its parent-death signal follows the thread that
	// started it). Go aborts the whole process past SetMaxThreads (10,000
	// by default), which would kill every step of a wide fan-out at once;
	// the kernel's own limits on threads and pids, which each step's
	// process counts against too, bound it well before this.
	debug.SetMaxThreads(maxSupervisorThreads)
	s := &server{out: newOutbox(keepOpen{out}), kills: map[string]chan string{}, files: newFileSlots()}
	conf, err := confine(iso)
	if err != nil {
		return err
	}
	s.sandbox = conf
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r request
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fmt.Fprintf(os.Stderr, "semaflow exec: bad request %q: %v\n", sc.Text(), err)
			continue
		}
		switch r.Op {
		case "start":
			s.start(r)
		case "kill":
			s.kill(r.Key, r.Reason)
		}
	}
	s.wg.Wait()
	// The last notices still go out; a gone engine fails the write at once.
	s.out.close()
	<-s.out.done
	return sc.Err()
}

// keepOpen is out for the outbox: Serve writes to it but does not own it.
type keepOpen struct{ io.Writer }

func (keepOpen) Close() error { return nil }

type server struct {
	sandbox *confinement
	leases  leases
	mu      sync.Mutex
	out     *outbox // notices; never written under mu
	kills   map[string]chan string
	wg      sync.WaitGroup
	files   *fileSlots // steps wait here when open files run short
}

func (s *server) send(n notice) {
	// The engine may be gone; the next one reads results from disk.
	_ = s.out.send(n)
}

func (s *server) start(r request) {
	kill := make(chan string, 1)
	s.mu.Lock()
	s.kills[r.Key] = kill
	s.mu.Unlock()
	s.wg.Add(1)
	// Taken here, before the next request is read: whoever resumes this
	// step after an engine restart goes by this record (claim.go).
	took, err := take(r.Dir)
	go func() {
		defer s.wg.Done()
		started := func() { s.send(notice{Key: r.Key, Event: "started", At: time.Now()}) }
		run := func() (*Result, bool) {
			// A kill sent while the step waits stays in its buffered
			// channel, so the step ends as soon as it starts.
			defer s.files.acquire()()
			return s.runDir(r.Dir, kill, started)
		}
		var res *Result
		var own bool // the step's records are this supervisor's to write
		switch {
		case err != nil:
			res = notStarted("%v", err)
		case took:
			res, own = run()
		default:
			res, own = follow(r.Dir, kill, started, run)
		}
		if res.Finished.IsZero() {
			res.Finished = time.Now()
		}
		n := notice{Key: r.Key, Event: "exited", Result: res}
		if own {
			if err := writeJSON(filepath.Join(r.Dir, ResultFile), res); err != nil {
				fmt.Fprintf(os.Stderr, "semaflow exec: %s: %v\n", r.Key, err)
			} else if s.out.backlog() > maxNoticeBacklog {
				// An engine that stopped reading must not make results
				// pile up in memory: this one is on disk, where Local
				// finds it.
				n.Result = nil
			}
		}
		s.mu.Lock()
		delete(s.kills, r.Key)
		s.mu.Unlock()
		s.send(n)
	}()
}

// noSpec says a step directory has no spec.
func noSpec(dir string) *Result {
	return notStarted("not started: %s holds no spec: it was removed, or is being written again", dir)
}

// take claims the step in dir for this supervisor if no one took it yet.
// A directory without a spec is not taken: the engine removed it (its
// step was found never started) and may be writing it again.
func take(dir string) (bool, error) {
	if !exists(filepath.Join(dir, SpecFile)) {
		return false, errors.New(noSpec(dir).StartError)
	}
	return claim(dir, selfIdentity())
}

// runDir runs the step this supervisor took in dir. own is false if it
// gave the step back: the directory's records are not its to write.
func (s *server) runDir(dir string, kill <-chan string, started func()) (res *Result, own bool) {
	b, err := os.ReadFile(filepath.Join(dir, SpecFile))
	if errors.Is(err, fs.ErrNotExist) {
		// Removed since the claim: the claim went to a directory being
		// written again, which is not this request's.
		release(dir)
		return noSpec(dir), false
	}
	if err != nil {
		return &Result{ExitCode: -1, StartError: err.Error(), Started: time.Now()}, true
	}
	var spec Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return &Result{ExitCode: -1, StartError: fmt.Sprintf("%s: %v", filepath.Join(dir, SpecFile), err), Started: time.Now()}, true
	}
	var lease *leaseWatch
	if spec.LeaseFile != "" {
		lease = s.leases.acquire(spec.LeaseFile)
		defer s.leases.release(lease)
	}
	if spec.HTTP != nil {
		return runHTTP(dir, &spec, lease, kill, started), true
	}
	return runStep(dir, &spec, s.sandbox, lease, kill, started), true
}

func (s *server) kill(key, reason string) {
	s.mu.Lock()
	ch := s.kills[key]
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- reason:
		default:
		}
	}
}
