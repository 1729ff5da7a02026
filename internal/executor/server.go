package executor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
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
}

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
	s := &server{out: json.NewEncoder(out), kills: map[string]chan string{}}
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
	return sc.Err()
}

type server struct {
	sandbox *confinement
	mu      sync.Mutex
	out     *json.Encoder
	kills   map[string]chan string
	wg      sync.WaitGroup
}

func (s *server) send(n notice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The engine may be gone; results are on disk either way.
	_ = s.out.Encode(n)
}

func (s *server) start(r request) {
	kill := make(chan string, 1)
	s.mu.Lock()
	s.kills[r.Key] = kill
	s.mu.Unlock()
	s.wg.Add(1)
	// Whoever resumes this step after an engine restart checks this
	// identity to tell a step still supervised from a lost one.
	_ = os.WriteFile(filepath.Join(r.Dir, PidFile), []byte(selfIdentity()), 0o600)
	go func() {
		defer s.wg.Done()
		res := s.runDir(r.Dir, kill, func() { s.send(notice{Key: r.Key, Event: "started", At: time.Now()}) })
		if res.Finished.IsZero() {
			res.Finished = time.Now()
		}
		if err := writeJSON(filepath.Join(r.Dir, ResultFile), res); err != nil {
			fmt.Fprintf(os.Stderr, "semaflow exec: %s: %v\n", r.Key, err)
		}
		s.mu.Lock()
		delete(s.kills, r.Key)
		s.mu.Unlock()
		s.send(notice{Key: r.Key, Event: "exited"})
	}()
}

func (s *server) runDir(dir string, kill <-chan string, started func()) *Result {
	b, err := os.ReadFile(filepath.Join(dir, SpecFile))
	if err != nil {
		return &Result{ExitCode: -1, StartError: err.Error(), Started: time.Now()}
	}
	var spec Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return &Result{ExitCode: -1, StartError: fmt.Sprintf("%s: %v", filepath.Join(dir, SpecFile), err), Started: time.Now()}
	}
	return runStep(dir, &spec, s.sandbox, kill, started)
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
