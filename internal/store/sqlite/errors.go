package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/semaflow/semaflow/internal/store"
)

// lowSpace is the free space below which an I/O error is put down to a
// full disk: less than SQLite needs to grow its journal or shared memory.
const lowSpace = 1 << 20

// storeError is the one place where what SQLite and database/sql return
// becomes the store's sentinel errors: every query, begin and commit of
// this driver passes its error through it. It reads result codes and
// errno values, never message text. The sentinel is wrapped beside the
// original, so callers test errors.Is(err, store.ErrX) and logs keep
// SQLite's own words.
//
//   - no row (sql.ErrNoRows) is store.ErrNotFound; a method for which no
//     row means something else says so (BindSession: store.ErrSessionLost);
//   - a UNIQUE or PRIMARY KEY constraint is store.ErrExists;
//   - SQLITE_BUSY, once busy_timeout has passed, is store.ErrBusy;
//   - SQLITE_FULL, ENOSPC and EDQUOT are store.ErrNoSpace, naming the
//     database. SQLite reports only a bare I/O error when its
//     shared-memory file cannot grow (typically as it opens the
//     database), so an I/O error on a disk with almost no free space
//     counts too.
//
// An error that already carries a store sentinel passes unchanged, so
// mapping twice is harmless.
func (s *DB) storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoSpace), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrNotFound),
		errors.Is(err, store.ErrSessionLost), errors.Is(err, store.ErrBadContinue), errors.Is(err, store.ErrBusy):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return s.noSpace(err)
	}
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch code := se.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", store.ErrExists, err)
	case code&0xff == sqlite3.SQLITE_FULL:
		return s.noSpace(err)
	case code&0xff == sqlite3.SQLITE_IOERR && s.DiskFull():
		return s.noSpace(err)
	case code&0xff == sqlite3.SQLITE_BUSY:
		return fmt.Errorf("database %s: %w, which held its write lock for over %s (a process stopped mid-write, e.g. by SIGSTOP, or stuck): "+
			"continue or end that process (%w)", s.path, store.ErrBusy, busyWait, err)
	}
	return err
}

func (s *DB) noSpace(err error) error {
	return fmt.Errorf("database %s: %w (%w)", s.path, store.ErrNoSpace, err)
}

// DiskFull says whether the disk holding the database has almost no room
// left: the database may still open (its files already have their room),
// but its next writes will fail.
func (s *DB) DiskFull() bool {
	free, ok := freeSpace(filepath.Dir(s.path))
	return ok && free < lowSpace
}
