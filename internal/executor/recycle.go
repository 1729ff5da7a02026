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
//   - once moved into the later step's directory, it is opened again
//     without following links and must be that same directory (device
//     and inode), then is given to its user with mode 0700, whatever the
//     last one set.
//
// The pool lives in memory only: a supervisor that dies loses it, and the
// directories stay where their steps left them.

// maxPooled bounds the finished step directories held for their tmp and
// work: one open handle each, within filesReserved.
const maxPooled = 16

// dirPool holds empty tmp and work directories of finished steps.
type dirPool struct {
	mu   sync.Mutex
	free []*pooledDir
}

// pooledDir is a finished step's directory, open as fd (O_PATH), and which
// of its tmp and work are free to take. refs counts the pool's hold and
// each take under way; mu guards it.
type pooledDir struct {
	fd        int
	tmp, work *unix.Stat_t // what was checked; nil: not free
	refs      int
}

// offer gives the pool the tmp and work of the step whose directory is
// open as dirFd and whose process group was pgid, if they can be reused;
// it takes dirFd over (closing it when nothing is kept).
func (p *dirPool) offer(dirFd, pgid int) {
	if p == nil || dirFd < 0 {
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
	if len(p.free) >= maxPooled {
		// The oldest first: its directory is the likeliest to be gone.
		drop = p.free[0]
		p.free = append(p.free[:0], p.free[1:]...)
	}
	p.free = append(p.free, e)
	p.mu.Unlock()
	if drop != nil {
		p.release(drop)
	}
}

// emptyDirAt is name, in the directory open as dirFd, if it is a
// directory (not a link to one) that is empty and has no extended
// attribute; else nil.
func emptyDirAt(dirFd int, name string) *unix.Stat_t {
	fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer func() { _ = unix.Close(fd) }()
	var st unix.Stat_t
	if !bareDir(fd) || unix.Fstat(fd, &st) != nil {
		return nil
	}
	return &st
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

// take moves a pooled directory to name in the directory open as dirFd,
// checks it again there, and returns it open, owned by uid:gid with mode
// 0700. nil, nil: the pool had none to give.
func (p *dirPool) take(dirFd int, dir, name string, uid, gid int) (*os.File, error) {
	if p == nil || dirFd < 0 {
		return nil, nil
	}
	for {
		from, was, ok := p.pop(name)
		if !ok {
			return nil, nil
		}
		err := unix.Renameat2(from.fd, name, dirFd, name, unix.RENAME_NOREPLACE)
		p.release(from)
		switch {
		case errors.Is(err, unix.EEXIST):
			// The step directory has its own already (one an older
			// supervisor made): it is used as it is.
			return nil, nil
		case err != nil:
			// Its directory is gone (the workflow was deleted), or it
			// was: the next is tried.
			continue
		}
		f, err := claimPooled(dirFd, dir, name, was, uid, gid)
		if err != nil || f != nil {
			return f, err
		}
	}
}

// claimPooled opens the directory just moved to name and makes it the step's;
// one that is not the directory offered (was) is moved aside (nil, nil).
func claimPooled(dirFd int, dir, name string, was *unix.Stat_t, uid, gid int) (*os.File, error) {
	fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	var st unix.Stat_t
	if err == nil && (unix.Fstat(fd, &st) != nil || st.Dev != was.Dev || st.Ino != was.Ino) {
		_ = unix.Close(fd)
		err = errors.New("changed")
	}
	if err != nil {
		// Never the step's: out of its way, under a name no step sees.
		aside := fmt.Sprintf("%s.stale.%d", name, claimSeq.Add(1))
		if err := unix.Renameat2(dirFd, name, dirFd, aside, unix.RENAME_NOREPLACE); err != nil {
			return nil, fmt.Errorf("the step's %s in %s: a recycled directory changed and cannot be moved aside: %w", name, dir, err)
		}
		return nil, nil
	}
	f := os.NewFile(uintptr(fd), dir+"/"+name)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		if err := f.Chown(uid, gid); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	if st.Mode&0o7777 != 0o700 {
		if err := f.Chmod(0o700); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	return f, nil
}

// pop takes a pooled directory that has name free, and what was checked
// of it; release gives back the hold on it.
func (p *dirPool) pop(name string) (*pooledDir, *unix.Stat_t, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.free) - 1; i >= 0; i-- {
		e := p.free[i]
		var was *unix.Stat_t
		switch {
		case name == TmpDir && e.tmp != nil:
			was, e.tmp = e.tmp, nil
		case name == WorkDir && e.work != nil:
			was, e.work = e.work, nil
		default:
			continue
		}
		e.refs++
		if e.tmp == nil && e.work == nil {
			// Nothing left to take: the pool's own hold goes.
			p.free = append(p.free[:i], p.free[i+1:]...)
			e.refs--
		}
		return e, was, true
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
