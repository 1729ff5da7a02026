// Package diskroom measures the room left on a filesystem and sizes the
// reserve semaflow keeps there so that a full disk never keeps work from
// ending: the database holds a reserve file it gives up when its writes
// fail for lack of room, and steps whose volumes fill the data
// directory's filesystem below the same amount are evicted.
package diskroom

// Reserve bounds: at least what a few dozen commits (the results, the
// terminate, the delete) take in SQLite's write-ahead log, and no more
// than a small share of a big disk.
const (
	minReserve = 1 << 20
	maxReserve = 32 << 20
)

// Reserve is the room kept on a filesystem of size bytes: a sixteenth of
// it, within [1 MiB, 32 MiB].
func Reserve(size uint64) uint64 {
	return min(max(size/16, minReserve), maxReserve)
}

// Room is a filesystem's free space and size, in bytes.
type Room struct {
	Free, Size uint64
}

// Low says whether the room left is under the filesystem's reserve.
func (r Room) Low() bool { return r.Free < Reserve(r.Size) }
