package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// renew rewrites the lease file every period to now+ttl until the
// returned stop is called; stop returns the last expiry written.
func renew(t *testing.T, path string, ttl, period time.Duration) (stop func() time.Time) {
	t.Helper()
	quit := make(chan struct{})
	last := make(chan time.Time, 1)
	exp := time.Now().Add(ttl)
	if err := WriteLease(path, exp); err != nil {
		t.Fatal(err)
	}
	go func() {
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				last <- exp
				return
			case <-tick.C:
				next := time.Now().Add(ttl)
				if err := WriteLease(path, next); err != nil {
					panic(err)
				}
				exp = next
			}
		}
	}()
	stop = sync.OnceValue(func() time.Time {
		close(quit)
		return <-last
	})
	t.Cleanup(func() { stop() })
	return stop
}

// result waits for the step's exited notice and returns its result.
func (s *served) result(t *testing.T, key string, within time.Duration) *Result {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case n, ok := <-s.notes:
			if !ok {
				t.Fatalf("supervisor closed before %s exited", key)
			}
			if n.Key == key && n.Event == "exited" {
				if n.Result == nil {
					t.Fatalf("the exited notice of %s carries no result", key)
				}
				return n.Result
			}
		case <-timeout:
			t.Fatalf("no exited notice for %s within %v", key, within)
		}
	}
}

func (s *served) finish(t *testing.T) {
	t.Helper()
	_ = s.in.Close()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the supervisor did not exit")
	}
}

// A step runs as long as its node renews the lease; once renewals stop,
// the whole step, its children included, is dead within half a second of
// the expiry, and the result says why.
func TestStepDiesWithItsNodesLease(t *testing.T) {
	s := startServe(t)
	lease := filepath.Join(t.TempDir(), "lease")
	stop := renew(t, lease, time.Second, 100*time.Millisecond)
	marker := fmt.Sprintf("sleep 8%d.25", os.Getpid()%1000)
	t.Cleanup(func() {
		for _, pid := range livingWith(marker) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	dir := job(t, Spec{Command: []string{"sh", "-c", marker + " & " + marker + "; echo never"}, Env: os.Environ(), LeaseFile: lease})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "started")
	// Renewed well past its first expiry, the step keeps running.
	select {
	case n := <-s.notes:
		t.Fatalf("the step ended while its lease was renewed: %+v", n.Result)
	case <-time.After(2 * time.Second):
	}
	if len(livingWith(marker)) < 2 {
		t.Fatalf("the step's processes %v, want its shell and two sleeps", livingWith(marker))
	}
	expiry := stop()
	r := s.result(t, "k", time.Until(expiry)+10*time.Second)
	late := r.Finished.Sub(expiry)
	t.Logf("killed %v after its lease expired", late)
	if late < 0 || late > 500*time.Millisecond {
		t.Errorf("the step ended %v after its lease expired at %v, want within 0.5s", late, expiry)
	}
	want := "its node's lease expired at " + expiry.Format("15:04:05.000")
	if !strings.Contains(r.Killed, want) || !strings.Contains(r.Killed, "stopped renewing") || r.ExitCode == 0 || r.StartError != "" {
		t.Errorf("result %+v, want Killed to say %q", r, want)
	}
	if left := livingWith(marker); len(left) > 0 {
		t.Errorf("processes of the step outlive its lease: %v", left)
	}
	s.finish(t)
}

// A supervisor that takes a job after the lease expired does not start it.
func TestStartPastTheLeaseIsRefused(t *testing.T) {
	s := startServe(t)
	lease := filepath.Join(t.TempDir(), "lease")
	expiry := time.Now().Add(-time.Second)
	if err := WriteLease(lease, expiry); err != nil {
		t.Fatal(err)
	}
	dir := job(t, Spec{Command: []string{"sh", "-c", "echo x >> ran"}, Env: os.Environ(), LeaseFile: lease})
	ran := filepath.Join(dir, WorkDir, "ran")
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	r := s.result(t, "k", 20*time.Second)
	if !strings.Contains(r.StartError, "lease expired at "+expiry.Format("15:04:05.000")) {
		t.Errorf("result %+v, want a start error naming the expiry", r)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the step ran past its node's lease")
	}
	s.finish(t)
}

// No expiry read, no start: a missing or unreadable lease file is an
// error naming the file.
func TestUnreadableLeaseRefusesTheStart(t *testing.T) {
	s := startServe(t)
	tmp := t.TempDir()
	garbage := filepath.Join(tmp, "garbage")
	if err := os.WriteFile(garbage, []byte("tomorrow\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, lease := range []string{filepath.Join(tmp, "missing"), garbage} {
		key := fmt.Sprint("k", i)
		dir := job(t, Spec{Command: []string{"sh", "-c", "echo x >> ran"}, Env: os.Environ(), LeaseFile: lease})
		s.send(t, request{Op: "start", Key: key, Dir: dir})
		r := s.result(t, key, 20*time.Second)
		if !strings.Contains(r.StartError, lease) {
			t.Errorf("lease file %s: result %+v, want a start error naming the file", lease, r)
		}
		if _, err := os.Stat(filepath.Join(dir, WorkDir, "ran")); err == nil {
			t.Errorf("lease file %s: the step ran without a lease", lease)
		}
	}
	s.finish(t)
}

// What cannot be read does not extend the lease: garbage, an empty file or
// no file leave the last expiry read in force.
func TestUnreadableLeaseDoesNotExtendIt(t *testing.T) {
	for _, spoil := range []string{"garbage", "empty", "removed"} {
		t.Run(spoil, func(t *testing.T) {
			s := startServe(t)
			lease := filepath.Join(t.TempDir(), "lease")
			expiry := time.Now().Add(700 * time.Millisecond)
			if err := WriteLease(lease, expiry); err != nil {
				t.Fatal(err)
			}
			dir := job(t, Spec{Command: []string{"sleep", "30"}, Env: os.Environ(), LeaseFile: lease})
			s.send(t, request{Op: "start", Key: "k", Dir: dir})
			s.await(t, "k", "started")
			var err error
			switch spoil {
			case "garbage":
				err = os.WriteFile(lease, []byte("99999999999999999999999 forever"), 0o600)
			case "empty":
				err = os.WriteFile(lease, nil, 0o600)
			case "removed":
				err = os.Remove(lease)
			}
			if err != nil {
				t.Fatal(err)
			}
			r := s.result(t, "k", 10*time.Second)
			late := r.Finished.Sub(expiry)
			t.Logf("killed %v after its lease expired", late)
			if late < 0 || late > 500*time.Millisecond || !strings.Contains(r.Killed, "lease expired") {
				t.Errorf("result %+v: ended %v after the lease expired at %v, want killed within 0.5s", r, late, expiry)
			}
			s.finish(t)
		})
	}
}

func TestWriteLeaseReplacesTheFileWhole(t *testing.T) {
	dir := t.TempDir()
	lease := filepath.Join(dir, "lease")
	at := time.Unix(1_700_000_000, 123_456_789)
	for _, exp := range []time.Time{at, at.Add(time.Second)} {
		if err := WriteLease(lease, exp); err != nil {
			t.Fatal(err)
		}
		got, err := ReadLease(lease)
		if err != nil || !got.Equal(exp) {
			t.Fatalf("ReadLease = %v, %v; want %v", got, err, exp)
		}
	}
	st, err := os.Stat(lease)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("lease file mode %v, %v; want 0600", st.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("WriteLease left %d files, want 1", len(ents))
	}
	for _, bad := range []string{"", "x", "-5", "12 13", "1e9"} {
		if err := os.WriteFile(lease, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadLease(lease); err == nil || !strings.Contains(err.Error(), lease) {
			t.Errorf("ReadLease of %q: %v, want an error naming the file", bad, err)
		}
	}
}

// An expiry moved back is in force at once: an engine that finds its
// lease lost can fence its steps by writing the present.
func TestAnEarlierExpiryKillsAtOnce(t *testing.T) {
	s := startServe(t)
	lease := filepath.Join(t.TempDir(), "lease")
	if err := WriteLease(lease, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	dir := job(t, Spec{Command: []string{"sleep", "30"}, Env: os.Environ(), LeaseFile: lease})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "started")
	now := time.Now()
	if err := WriteLease(lease, now); err != nil {
		t.Fatal(err)
	}
	r := s.result(t, "k", 10*time.Second)
	if late := r.Finished.Sub(now); late > 500*time.Millisecond || !strings.Contains(r.Killed, "lease expired") {
		t.Errorf("result %+v, %v after the lease was cut short, want killed within 0.5s", r, late)
	}
	s.finish(t)
}
