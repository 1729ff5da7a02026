package executor

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Making a directory is the dearest thing a step start does on some
// filesystems: ext4 without a journal scans recently deleted inodes for
// every new one (about 66 us a directory, against 2 us on tmpfs). A step
// that leaves its tmp and work empty gives them to a later step instead,
// by rename, which allocates nothing; the later step then makes no
// directory but the engine's step directory.
//
// A directory is recycled only when it is certainly the step's own and
// holds nothing of it:
//   - it is reached through a handle on the finished step's directory,
//     taken when the step was claimed, never by path (the engine may have
//     removed that directory and made a new one at the same path);
//   - the step's process group is gone, so no process of it still works
//     there (a step user's step runs in a pid namespace of its own, all of
//     which dies with it);
//   - opened without following links, it is a directory, empty, with no
//     extended attribute (an ACL its user set would outlive it);
//   - it stays open from that check on, so its inode cannot be freed and
//     reused; once moved into the later step's directory, what is at its
//     name there (not following links) must be that same inode, which is
//     then given to its user with mode 0700, whatever the last one set.
//
// The pool lives in memory only: a supervisor that dies loses it, and the
// directories stay where their steps left them.

// maxPooled bounds the finished step directories held for their tmp and
// work: three open handles each (the directory, its tmp and work), within
// filesReserved. A parallelism of 8 keeps about 8 in use.
const maxPooled = 8

// dirPool holds empty tmp and work directories of finished steps.
type dirPool struct {
	mu   sync.Mutex
	free []*pooledDir
}

// pooledDir is a finished step's directory, open as fd (O_PATH), and its
// tmp and work, open, while free to take (nil: not free). refs counts the
// pool's hold on fd and each take under way; mu guards it.
type pooledDir struct {
	fd        int
	tmp, work *heldDir
	refs      int
}

// heldDir is an empty directory checked for reuse, open as fd, with its
// device and inode.
type heldDir struct {
	fd       int
	dev, ino uint64
}

func (h *heldDir) close() {
	if h != nil {
		_ = unix.Close(h.fd)
	}
}

// offer gives the pool the tmp and work of the step whose directory is
// open as dirFd and whose process group was pgid, if they can be reused;
// it takes dirFd over (closing it when nothing is kept).
func (p *dirPool) offer(dirFd, pgid int) {
	if p == nil || dirFd <= 0 {
		return
	}
	// ESRCH: no process is left in the group. Anything else (one alive,
	// or a pid taken again) keeps the step's directories where they are.
	if pgid <= 0 || !errors.Is(unix.Kill(-pgid, 0), unix.ESRCH) {
		_ = unix.Close(dirFd)
		return
	}
	e := &pooledDir{fd: dirFd, tmp: emptyDirAt(dirFd, TmpDir), work: emptyDirAt(dirFd, WorkDir), refs: 1}
	if e.tmp == nil && e.work == nil {
		_ = unix.Close(dirFd)
		return
	}
	p.mu.Lock()
	var drop *pooledDir
	var dropped [2]*heldDir
	if len(p.free) >= maxPooled {
		// The oldest first: its directory is the likeliest to be gone.
		drop = p.free[0]
		p.free = append(p.free[:0], p.free[1:]...)
		dropped = [2]*heldDir{drop.tmp, drop.work}
		drop.tmp, drop.work = nil, nil
	}
	p.free = append(p.free, e)
	p.mu.Unlock()
	if drop != nil {
		dropped[0].close()
		dropped[1].close()
		p.release(drop)
	}
}

// emptyDirAt is name, in the directory open as dirFd, held open, if it is
// a directory (not a link to one) that is empty and has no extended
// attribute; else nil.
func emptyDirAt(dirFd int, name string) *heldDir {
	fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	var st unix.Stat_t
	if !bareDir(fd) || unix.Fstat(fd, &st) != nil {
		_ = unix.Close(fd)
		return nil
	}
	return &heldDir{fd: fd, dev: st.Dev, ino: st.Ino}
}

// bareDir says whether the directory open as fd is empty and has no
// extended attribute.
func bareDir(fd int) bool {
	if n, err := unix.Flistxattr(fd, nil); err != nil || n != 0 {
		return false
	}
	var buf [512]byte
	for {
		n, err := unix.Getdents(fd, buf[:])
		if err != nil {
			return false
		}
		if n == 0 {
			return true
		}
		// ParseDirent leaves out "." and "..".
		if _, _, names := unix.ParseDirent(buf[:n], 1, nil); len(names) > 0 {
			return false
		}
	}
}

// take moves a pooled directory to name in the directory open as dirFd
// (named dir) and returns it open, owned by uid:gid with mode 0700. nil,
// nil: the pool had none to give.
func (p *dirPool) take(dirFd int, dir, name string, uid, gid int) (*os.File, error) {
	if p == nil || dirFd <= 0 {
		return nil, nil
	}
	for {
		from, h, ok := p.pop(name)
		if !ok {
			return nil, nil
		}
		err := unix.Renameat2(from.fd, name, dirFd, name, unix.RENAME_NOREPLACE)
		p.release(from)
		switch {
		case errors.Is(err, unix.EEXIST):
			// The step directory has its own already (one an older
			// supervisor made): it is used as it is.
			h.close()
			return nil, nil
		case err != nil:
			// Its directory is gone (the workflow was deleted), or it
			// was: the next is tried.
			h.close()
			continue
		}
		f, err := claimPooled(dirFd, dir, name, h, uid, gid)
		if err != nil || f != nil {
			return f, err
		}
	}
}

// claimPooled makes h, just moved to name in dirFd, the step's. Anything
// else found at name (what was moved is not h) is moved aside (nil, nil).
func claimPooled(dirFd int, dir, name string, h *heldDir, uid, gid int) (*os.File, error) {
	var at unix.Stat_t
	if err := unix.Fstatat(dirFd, name, &at, unix.AT_SYMLINK_NOFOLLOW); err != nil || at.Dev != h.dev || at.Ino != h.ino {
		h.close()
		if err != nil {
			return nil, nil // nothing there: the step makes its own
		}
		// Never the step's: out of its way, under a name no step sees.
		aside := fmt.Sprintf("%s.stale.%d", name, claimSeq.Add(1))
		if err := unix.Renameat2(dirFd, name, dirFd, aside, unix.RENAME_NOREPLACE); err != nil {
			return nil, fmt.Errorf("the step's %s in %s: a recycled directory changed and cannot be moved aside: %w", name, dir, err)
		}
		return nil, nil
	}
	f := os.NewFile(uintptr(h.fd), dir+"/"+name)
	if int(at.Uid) != uid || int(at.Gid) != gid {
		if err := f.Chown(uid, gid); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	if at.Mode&0o7777 != 0o700 {
		if err := f.Chmod(0o700); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	return f, nil
}

// pop takes a pooled directory that has name free, and that name's held
// directory (the caller's to close); release gives back the hold on the
// pooled directory.
func (p *dirPool) pop(name string) (*pooledDir, *heldDir, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.free) - 1; i >= 0; i-- {
		e := p.free[i]
		var h *heldDir
		switch {
		case name == TmpDir && e.tmp != nil:
			h, e.tmp = e.tmp, nil
		case name == WorkDir && e.work != nil:
			h, e.work = e.work, nil
		default:
			continue
		}
		e.refs++
		if e.tmp == nil && e.work == nil {
			// Nothing left to take: the pool's own hold goes.
			p.free = append(p.free[:i], p.free[i+1:]...)
			e.refs--
		}
		return e, h, true
	}
	return nil, nil, false
}

// release gives back one hold on e, closing its handle with the last.
func (p *dirPool) release(e *pooledDir) {
	p.mu.Lock()
	e.refs--
	last := e.refs == 0
	p.mu.Unlock()
	if last {
		_ = unix.Close(e.fd)
	}
}
