package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/diskroom"
	"github.com/semaflow/semaflow/internal/store"
)

var _ store.Reserver = (*DB)(nil)

// reserve is room the database keeps on its disk, as a file beside it
// (PATH-reserve), for the writes that let work end once the disk is full:
// when step data on the same filesystem took all of it, the engine gives
// the file up (ReleaseReserve) so that a step's result, a terminate and a
// delete can still commit, rather than every workflow waiting forever for
// room that only those writes could free.
type reserve struct {
	mu       sync.Mutex // guards the file; never held across a transaction
	released atomic.Bool
	// tried is when taking the reserve back was last tried (unix ns): a
	// write on a full disk must not measure it on every commit.
	tried atomic.Int64
}

func (s *DB) reservePath() string { return s.path + "-reserve" }

// ReserveDir is the database's directory, where the reserve is kept.
func (s *DB) ReserveDir() string { return filepath.Dir(s.reservePath()) }

// rearmEvery bounds how often a released reserve is looked at again.
const rearmEvery = time.Second

// armReserve takes the reserve if the disk has room for it and as much
// again besides: on a disk already near full it waits, released, for
// room to come back (a later commit tries again).
func (s *DB) armReserve() {
	s.res.mu.Lock()
	defer s.res.mu.Unlock()
	s.res.tried.Store(time.Now().UnixNano())
	room, ok := diskroom.Of(filepath.Dir(s.path))
	if !ok {
		return
	}
	want := int64(diskroom.Reserve(room.Size))
	p := s.reservePath()
	have := allocated(p)
	if have >= want {
		s.res.released.Store(false)
		return
	}
	if int64(room.Free) < 2*want-have {
		s.res.released.Store(true)
		return
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		s.res.released.Store(true)
		return
	}
	err = unix.Fallocate(int(f.Fd()), 0, 0, want)
	if errors.Is(err, syscall.EOPNOTSUPP) {
		err = writeZeros(f, want)
	}
	_ = f.Close()
	if err != nil {
		_ = os.Remove(p)
		s.res.released.Store(true)
		return
	}
	s.res.released.Store(false)
}

// allocated is how many bytes the file at p holds on disk (0: none).
func allocated(p string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return 0
	}
	return st.Blocks * 512
}

// writeZeros fills f to n bytes where the filesystem cannot preallocate.
func writeZeros(f *os.File, n int64) error {
	chunk := make([]byte, 64<<10)
	for off := int64(0); off < n; off += int64(len(chunk)) { // bounded by n
		if _, err := f.WriteAt(chunk[:min(int64(len(chunk)), n-off)], off); err != nil {
			return err
		}
	}
	return f.Sync()
}

// ReleaseReserve gives the reserve's room back to the disk, once: freed
// is how much (0: it was already given up, or never taken), where the
// file was.
func (s *DB) ReleaseReserve() (freed int64, where string) {
	s.res.mu.Lock()
	defer s.res.mu.Unlock()
	p := s.reservePath()
	freed = allocated(p)
	if err := os.Remove(p); err != nil {
		freed = 0
	}
	s.res.released.Store(true)
	s.res.tried.Store(time.Now().UnixNano())
	return freed, p
}

// rearm takes the reserve back after a write, once the disk has room
// again (looked at no more than once every rearmEvery).
func (s *DB) rearm() {
	if !s.res.released.Load() || time.Since(time.Unix(0, s.res.tried.Load())) < rearmEvery {
		return
	}
	s.armReserve()
}
