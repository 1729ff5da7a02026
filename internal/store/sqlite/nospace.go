package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"

	msqlite "modernc.org/sqlite"

	"github.com/semaflow/semaflow/internal/store"
)

// SQLite's primary result codes (the low byte of an extended code).
const (
	sqliteIOErr = 10
	sqliteFull  = 13
)

// lowSpace is the free space below which an I/O error is put down to a
// full disk: less than SQLite needs to grow its journal or shared memory.
const lowSpace = 1 << 20

// noSpace wraps err in store.ErrNoSpace, naming the database, when SQLite
// failed for lack of room. SQLite says SQLITE_FULL when a write runs out
// of room, but only a bare I/O error when its shared-memory file cannot
// grow (typically when it opens the database), so an I/O error on a disk
// with almost no free space counts too. An exhausted quota (EDQUOT) also
// reaches us as an I/O error and is not recognised.
func (s *DB) noSpace(err error) error {
	var se *msqlite.Error
	if err == nil || errors.Is(err, store.ErrNoSpace) || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqliteFull:
	case sqliteIOErr:
		if free, ok := freeSpace(filepath.Dir(s.path)); !ok || free >= lowSpace {
			return err
		}
	default:
		return err
	}
	return fmt.Errorf("database %s: %w (%w)", s.path, store.ErrNoSpace, err)
}

// DiskFull says whether the disk holding the database has almost no room
// left: the database may still open (its files already have their room),
// but its next writes will fail.
func (s *DB) DiskFull() bool {
	free, ok := freeSpace(filepath.Dir(s.path))
	return ok && free < lowSpace
}
