package executor

import (
	"bufio"
	"bytes"
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

	"github.com/semaflow/semaflow/internal/stepinit"
)

// request is one line the engine writes to the supervisor.
type request struct {
	Op  string `json:"op"` // "start" or "kill"
	Key string `json:"key"`
	Dir string `json:"dir,omitempty"`
	// Spec is the job (for "start"). Without it, the job is Dir's SpecFile.
	Spec   *Spec  `json:"spec,omitempty"`
	Reason string `json:"reason,omitempty"`
	// EnvBase is how many entries of the declared environment begin the
	// spec's (envbase.go); Env is the declaration (op "env").
	EnvBase int      `json:"envBase,omitempty"`
	Env     []string `json:"env,omitempty"`
}

// notice is one line the supervisor writes back.
type notice struct {
	Key   string `json:"key"`
	Event string `json:"event"` // "started", "waiting" or "exited"
	// At is when the step's process was running, by the supervisor's
	// clock (for "started").
	At time.Time `json:"at,omitzero"`
	// Result is the step's outcome (for "exited"). The step's StateFile
	// holds it too, but a write there can fail (a full disk); this copy
	// then is the record the engine goes by.
	Result *Result `json:"result,omitempty"`
	// Message says why a step waits to start (for "waiting").
	Message string `json:"message,omitempty"`
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
	// would then die of SIGPIPE and orphan the steps still running. A
	// signal asked for is caught, so the write fails with EPIPE instead,
	// and a caught signal's action is reset by exec: steps start with
	// SIGPIPE at its default, as under a shell (an ignored one would stay
	// ignored in them, and `yes | head` would never end). The channel
	// may fill: further signals are dropped, never blocking anyone.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	// Every running step holds one OS thread here, locked for the step's
	// life (spawn.go: its parent-death signal follows the thread that
	// started it). Go aborts the whole process past SetMaxThreads (10,000
	// by default), which would kill every step of a wide fan-out at once;
	// the kernel's own limits on threads and pids, which each step's
	// process counts against too, bound it well before this.
	debug.SetMaxThreads(maxSupervisorThreads)
	s := &server{out: newOutbox(keepOpen{out}), kills: map[string]chan string{}, dirs: map[string]string{}, files: newFileSlots(), gone: make(chan struct{})}
	conf, err := confine(iso)
	if err != nil {
		return err
	}
	s.sandbox = conf
	br := bufio.NewReaderSize(in, 64<<10)
	var readErr error
	var env []string // the environment base the engine declared
	for {
		line, err := readRequest(br)
		if len(line) > 0 {
			var r request
			if err := json.Unmarshal(line, &r); err != nil {
				fmt.Fprintf(os.Stderr, "semaflow exec: bad request %.200q: %v\n", line, err)
				// It may have been a declaration: starts relying on the
				// base must now fail, not take the one before.
				env = nil
			} else {
				switch r.Op {
				case "env":
					env = r.Env
				case "start":
					if err := withEnvBase(&r, env); err != nil {
						s.send(notice{Key: r.Key, Event: "exited", Result: notStarted("%v", err)})
					} else {
						s.start(r)
					}
				case "kill":
					s.kill(r.Key, r.Reason)
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
	}
	close(s.gone)
	ended := make(chan struct{})
	go s.killOrphansOfRemovedDirs(ended)
	s.wg.Wait()
	close(ended)
	// The last notices still go out; a gone engine fails the write at once.
	s.out.close()
	<-s.out.done
	return readErr
}

// maxRequestBytes bounds one request line: a start request carries the
// step's spec, its script and input files included.
const maxRequestBytes = stepinit.MaxSpecBytes

// errRequestTooLong means a request line passed maxRequestBytes.
var errRequestTooLong = fmt.Errorf("a request longer than %d bytes", maxRequestBytes)

// readRequest reads one line, without its newline.
func readRequest(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		if len(line)+len(part) > maxRequestBytes {
			return nil, errRequestTooLong
		}
		line = append(line, part...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
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
	dirs    map[string]string // the step directory of each key in kills
	wg      sync.WaitGroup
	files   *fileSlots // steps wait here when open files run short
	// gone is closed once the engine's requests end: a step still
	// waiting for room then gives up (room.go).
	gone chan struct{}
}

func (s *server) send(n notice) {
	// The engine may be gone; the next one reads results from disk.
	_ = s.out.send(n)
}

func (s *server) start(r request) {
	kill := make(chan string, 1)
	s.mu.Lock()
	s.kills[r.Key] = kill
	s.dirs[r.Key] = r.Dir
	s.mu.Unlock()
	s.wg.Add(1)
	// Taken here, before the next request is read: whoever resumes this
	// step after an engine restart goes by this record (claim.go).
	rec, err := take(r)
	var full *roomWait // no room for the claim: the step waits (room.go)
	if noRoom(err) {
		full, err = newRoomWait(r, err), nil
	}
	// A step that must wait for open files holds none meanwhile.
	slot := s.files.tryAcquire()
	if slot == nil {
		rec.park()
	}
	go func() {
		defer s.wg.Done()
		started := func() { s.send(notice{Key: r.Key, Event: "started", At: time.Now()}) }
		run := func(rec *stepRecord) (*Result, bool) {
			defer rec.close()
			if slot == nil {
				// A kill sent while the step waits stays in its buffered
				// channel, so the step ends as soon as it starts.
				slot = s.files.acquire()
			}
			defer slot()
			if err := rec.resume(); err != nil {
				return notStarted("%v", err), false
			}
			res, own := s.runDir(r, rec, kill, started)
			if res.Finished.IsZero() {
				res.Finished = time.Now()
			}
			if own {
				if err := rec.add(kindResult, res); err != nil {
					fmt.Fprintf(os.Stderr, "semaflow exec: %s: %v\n", r.Key, err)
					own = false // the notice must carry it
				}
			}
			return res, own
		}
		var res *Result
		var own bool // the result is on disk, in this supervisor's record
		if rec == nil && slot != nil {
			// Nothing runs here, unless a followed step is given back.
			slot()
			slot = nil
		}
		if full != nil {
			rec, res, err = s.awaitRoom(r, full, kill)
		}
		switch {
		case res != nil:
		case err != nil:
			res = notStarted("%v", err)
		case rec != nil:
			res, own = run(rec)
		default:
			res, own = follow(r.Dir, kill, started, run)
		}
		if res.Finished.IsZero() {
			res.Finished = time.Now()
		}
		n := notice{Key: r.Key, Event: "exited", Result: res}
		if own && s.out.backlog() > maxNoticeBacklog {
			// An engine that stopped reading must not make results
			// pile up in memory: this one is on disk, where Local
			// finds it.
			n.Result = nil
		}
		s.mu.Lock()
		delete(s.kills, r.Key)
		delete(s.dirs, r.Key)
		s.mu.Unlock()
		s.send(n)
	}()
}

// noSpec says a step directory has no job: a request without a spec
// whose directory holds no SpecFile, or one whose directory is gone.
func noSpec(dir string) *Result {
	return notStarted("not started: %s holds no spec: it was removed, or is being written again", dir)
}

// errNoSpec is noSpec as the error of a step not taken.
func errNoSpec(dir string) error { return errors.New(noSpec(dir).StartError) }

// take claims the step of r for this supervisor if no one took it yet,
// and returns its record (nil: someone did). A directory that is gone, or
// for a request without a spec has no SpecFile, is not taken: the engine
// removed it (its step was found never started) and may be making it
// again.
func take(r request) (*stepRecord, error) {
	if r.Spec == nil && !exists(filepath.Join(r.Dir, SpecFile)) {
		return nil, errNoSpec(r.Dir)
	}
	rec, err := claimRecord(r.Dir, selfIdentity())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoSpec(r.Dir)
	}
	return rec, err
}

// runDir runs the step of r, which this supervisor took (rec is its
// record). own is false if it gave the step back: the directory's records
// are not its to write.
func (s *server) runDir(r request, rec *stepRecord, kill <-chan string, started func()) (res *Result, own bool) {
	dir := r.Dir
	spec := r.Spec
	if spec == nil {
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
		spec = &Spec{}
		if err := json.Unmarshal(b, spec); err != nil {
			return &Result{ExitCode: -1, StartError: fmt.Sprintf("%s: %v", filepath.Join(dir, SpecFile), err), Started: time.Now()}, true
		}
	}
	var lease *leaseWatch
	if spec.LeaseFile != "" {
		lease = s.leases.acquire(spec.LeaseFile)
		defer s.leases.release(lease)
	}
	if spec.HTTP != nil {
		return runHTTP(dir, spec, lease, kill, started), true
	}
	room := s.newRoomWaiter(r, spec, kill, true)
	defer room.done()
	return runStep(dir, spec, s.sandbox, rec, lease, kill, started, room.wait), true
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
