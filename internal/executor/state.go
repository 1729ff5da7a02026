package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// A step's records live in one file, StateFile, so a step costs one inode
// for them instead of one per record (and a temporary one per write): the
// claim (claim.go), then the process group (group.go), then the result,
// each one line, "KIND DATA\n", appended by the one supervisor that took
// the step. The claim is written before the file has a name and linked
// into place, so the file appears whole and only once (a second claim
// fails on the name). Later records are appended: a reader goes by complete
// lines only, and a writer that fails midway cuts its partial line off, so
// a line is there whole or not at all.
//
// Directories written by engines before this layout keep their records
// in files of their own (PidFile, GroupFile, ResultFile); readers fall
// back to them when StateFile is absent.

// StateFile holds a step's claim, process group and result.
const StateFile = "state"

// Record kinds, the first word of each line of StateFile.
const (
	kindClaim  = "claim"
	kindGroup  = "group"
	kindResult = "result"
)

// stepRecord is the StateFile of a step this process claimed, open for
// its later records.
type stepRecord struct {
	f    *os.File
	off  int64 // where the next record goes
	path string
}

// createRecord claims the step in the directory open as dirFd (named dir)
// for who: it creates StateFile holding the claim, unless it exists (then
// rec is nil and err nil: someone claimed the step before).
func createRecord(dirFd int, dir, who string) (*stepRecord, error) {
	path := filepath.Join(dir, StateFile)
	line := []byte(kindClaim + " " + who + "\n")
	fd, err := unix.Openat(dirFd, ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		// A filesystem without unnamed files: written aside, then linked.
		return createRecordAside(dirFd, dir, line)
	}
	f := os.NewFile(uintptr(fd), path)
	if _, err := f.Write(line); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("taking the step directory %s: %w", dir, err)
	}
	// By /proc, which needs no privilege (AT_EMPTY_PATH would).
	err = unix.Linkat(unix.AT_FDCWD, stepinit.FdPath(fd), dirFd, StateFile, unix.AT_SYMLINK_FOLLOW)
	switch {
	case err == nil:
		return &stepRecord{f: f, off: int64(len(line)), path: path}, nil
	case errors.Is(err, unix.EEXIST):
		_ = f.Close()
		return nil, nil
	default:
		_ = f.Close()
		return nil, fmt.Errorf("taking the step directory %s: %w", dir, err)
	}
}

// createRecordAside is createRecord through a temporary name of its own.
func createRecordAside(dirFd int, dir string, line []byte) (*stepRecord, error) {
	fail := func(err error) (*stepRecord, error) {
		return nil, fmt.Errorf("taking the step directory %s: %w", dir, err)
	}
	tmp := fmt.Sprintf("%s.%d.%d.tmp", StateFile, os.Getpid(), claimSeq.Add(1))
	fd, err := unix.Openat(dirFd, tmp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = unix.Unlinkat(dirFd, tmp, 0) }()
	f := os.NewFile(uintptr(fd), filepath.Join(dir, StateFile))
	if _, err := f.Write(line); err != nil {
		_ = f.Close()
		return fail(err)
	}
	err = unix.Linkat(dirFd, tmp, dirFd, StateFile, 0)
	switch {
	case err == nil:
		return &stepRecord{f: f, off: int64(len(line)), path: f.Name()}, nil
	case errors.Is(err, unix.EEXIST):
		_ = f.Close()
		return nil, nil
	default:
		_ = f.Close()
		return fail(err)
	}
}

// add appends one record of kind. A record only partly written is cut
// off again, so the next one starts on a line of its own.
func (r *stepRecord) add(kind string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	line := make([]byte, 0, len(kind)+len(b)+2)
	line = append(append(append(append(line, kind...), ' '), b...), '\n')
	n, err := r.f.WriteAt(line, r.off)
	if err != nil {
		if n > 0 {
			_ = r.f.Truncate(r.off)
		}
		return fmt.Errorf("writing the step's %s into %s: %w", kind, r.path, err)
	}
	r.off += int64(n)
	return nil
}

func (r *stepRecord) close() {
	if r != nil && r.f != nil {
		_ = r.f.Close()
		r.f = nil
	}
}

// park closes the record's file while its step waits to run, so that a
// waiting step holds no open file (fdbudget.go); resume opens it again.
func (r *stepRecord) park() { r.close() }

func (r *stepRecord) resume() error {
	if r.f != nil {
		return nil
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("reopening the step's record: %w", err)
	}
	r.f = f
	return nil
}

// stepState is what a step's records say so far.
type stepState struct {
	claim  string // "" : none yet
	group  *group
	result *Result
}

// readState reads a step's records; fs.ErrNotExist means there are none
// (no one claimed the step).
func readState(dir string) (stepState, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return readLegacyState(dir)
	}
	if err != nil {
		return stepState{}, err
	}
	var st stepState
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break // a record being written
		}
		line := b[:i]
		b = b[i+1:]
		kind, data, _ := bytes.Cut(line, []byte(" "))
		switch string(kind) {
		case kindClaim:
			st.claim = string(data)
		case kindGroup:
			var g group
			if err := json.Unmarshal(data, &g); err != nil {
				return st, fmt.Errorf("%s: the process group: %w", filepath.Join(dir, StateFile), err)
			}
			st.group = &g
		case kindResult:
			var r Result
			if err := json.Unmarshal(data, &r); err != nil {
				return st, fmt.Errorf("%s: the result: %w", filepath.Join(dir, StateFile), err)
			}
			st.result = &r
		}
	}
	return st, nil
}

// readLegacyState reads the records of a directory an older supervisor
// wrote, a file each.
func readLegacyState(dir string) (stepState, error) {
	var st stepState
	b, err := os.ReadFile(filepath.Join(dir, PidFile))
	if err != nil {
		return st, err // none: no claim, and so no group nor result
	}
	st.claim = string(b)
	if g, err := readGroupFile(filepath.Join(dir, GroupFile)); err == nil {
		st.group = &g
	} else if !errors.Is(err, fs.ErrNotExist) {
		return st, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, ResultFile)); err == nil {
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return st, fmt.Errorf("%s: %w", filepath.Join(dir, ResultFile), err)
		}
		st.result = &r
	}
	return st, nil
}

// ReadResult reads a step's result; os.ErrNotExist means it has none yet.
func ReadResult(dir string) (*Result, error) {
	st, err := readState(dir)
	if err != nil {
		return nil, err
	}
	if st.result == nil {
		return nil, fmt.Errorf("the result of the step in %s: %w", dir, fs.ErrNotExist)
	}
	return st.result, nil
}

// removeClaim removes the record of a claim this process made and found
// no job for (release).
func removeClaim(dir string) {
	st, err := readState(dir)
	if err == nil && st.claim == selfIdentity() && st.group == nil && st.result == nil {
		_ = os.Remove(filepath.Join(dir, StateFile))
		_ = os.Remove(filepath.Join(dir, PidFile))
	}
}

// isNeverStarted says whether a claim is NeverStarted's verdict.
func isNeverStarted(claim string) bool { return strings.HasPrefix(claim, neverStartedMark) }
