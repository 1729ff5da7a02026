package executor

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/domain"
)

// Output artifacts are read as output parameters are (outputs_linux.go):
// the step is untrusted, so its path is opened confined to the step's
// own directories, or as the step user, and everything under it is then
// walked by handle, one name at a time and never through a link, as the
// step user (a directory the step could list may hold what only root
// reads). Links are archived as links. The walk writes a tar+gzip stream
// to a file this process opened beforehand, so it needs no right to the
// step's directory; archive none is that archive unpacked by root into
// the step's directory. artifacts.MaxBytes, MaxEntries and MaxDepth
// bound each artifact.

// LogsArtifact is the name of the artifact that archiveLogs keeps, as
// Argo's.
const LogsArtifact = "main-logs"

// saveOutputArtifacts stages the step's output artifacts in DIR/outputs
// and lists them (or why they could not be) in res.
func saveOutputArtifacts(dir string, spec *Spec, view stepView, res *Result) {
	for i, a := range spec.OutputArtifacts {
		staged := filepath.Join(OutputsDir, strconv.Itoa(i))
		err := view.stageArtifact(spec, a, dir, staged)
		switch {
		case err == nil:
			if !a.Unarchived {
				staged += ".tgz"
			}
			res.Artifacts = append(res.Artifacts, domain.StepArtifact{Name: a.Name, Path: a.Path, Key: a.Key, Staged: staged, Unarchived: a.Unarchived, Location: a.Location})
		case a.Optional && errors.Is(err, fs.ErrNotExist):
		default:
			res.ArtifactErrors = append(res.ArtifactErrors, fmt.Sprintf("output artifact %q: %v", a.Name, err))
		}
	}
	if spec.LogsKey != "" {
		// The log is made at the step's first byte: a step that wrote
		// nothing archives an empty log, not a missing one.
		f, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			res.ArtifactErrors = append(res.ArtifactErrors, fmt.Sprintf("output artifact %q: %v", LogsArtifact, err))
			return
		}
		_ = f.Close()
		res.Artifacts = append(res.Artifacts, domain.StepArtifact{Name: LogsArtifact, Key: spec.LogsKey, Staged: LogFile, Unarchived: true})
	}
}

func (v stepView) stageArtifact(spec *Spec, a OutputArtifact, dir, staged string) error {
	p, err := v.outputPath(spec, a.Path)
	if err != nil {
		return err
	}
	if p, err = v.resolveLinks(p); err != nil {
		return &os.PathError{Op: "open", Path: a.Path, Err: err}
	}
	if err := os.MkdirAll(filepath.Join(dir, OutputsDir), 0o700); err != nil {
		return err
	}
	tgz := filepath.Join(dir, staged+".tgz")
	out, err := createPrivate(tgz)
	if err != nil {
		return err
	}
	err = v.archive(p, a.Path, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil || !a.Unarchived {
		return err
	}
	// The archive came from this process's own walk: unpacking it as
	// root into the step's directory writes nothing the step chose where.
	defer func() { _ = os.Remove(tgz) }()
	dst := filepath.Join(dir, staged)
	_ = os.RemoveAll(dst)
	return artifacts.Untar(tgz, dst)
}

// archive writes p, as the step sees it, as a tar+gzip stream to out.
func (v stepView) archive(p, shown string, out io.Writer) error {
	var fd int
	var err error
	if v.user != nil {
		fd, err = v.openConfined(filepath.Clean(p))
	} else {
		fd, err = unix.Open(v.host(p), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: shown, Err: err}
	}
	defer func() { _ = unix.Close(fd) }()
	return asUser(v.user, func() error {
		zw := gzip.NewWriter(out)
		w := &tarWalk{tw: tar.NewWriter(zw), shown: shown}
		err := w.add(fd, filepath.Base(filepath.Clean(p)), 0)
		return errors.Join(err, w.tw.Close(), zw.Close())
	})
}

type tarWalk struct {
	tw      *tar.Writer
	shown   string
	bytes   int64
	entries int
}

func (w *tarWalk) fail(name string, err error) error {
	return &os.PathError{Op: "read", Path: path.Join(path.Dir(w.shown), name), Err: err}
}

// add archives the open file fd as name.
func (w *tarWalk) add(fd int, name string, depth int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return w.fail(name, err)
	}
	if w.entries++; w.entries > artifacts.MaxEntries {
		return w.fail(name, fmt.Errorf("more than %d entries", artifacts.MaxEntries))
	}
	h := &tar.Header{Name: name, Mode: int64(st.Mode & 0o7777), ModTime: time.Unix(st.Mtim.Unix())}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if w.bytes += st.Size; w.bytes > artifacts.MaxBytes {
			return w.fail(name, fmt.Errorf("more than %d bytes", artifacts.MaxBytes))
		}
		h.Typeflag, h.Size = tar.TypeReg, st.Size
		if err := w.tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := io.CopyN(w.tw, fdReader(fd), st.Size)
		if err != nil {
			return w.fail(name, fmt.Errorf("changed while it was read: %w", err))
		}
		return nil
	case unix.S_IFDIR:
		if depth >= artifacts.MaxDepth {
			return w.fail(name, fmt.Errorf("nested deeper than %d directories", artifacts.MaxDepth))
		}
		h.Typeflag, h.Name = tar.TypeDir, name+"/"
		if err := w.tw.WriteHeader(h); err != nil {
			return err
		}
		return w.addDir(fd, name, depth)
	default:
		return w.fail(name, fmt.Errorf("not a regular file or directory (%v)", fs.FileMode(st.Mode&unix.S_IFMT)))
	}
}

// addDir archives what directory fd holds, one name at a time: a link
// is archived as one, and nothing is opened through a link.
func (w *tarWalk) addDir(fd int, name string, depth int) error {
	// A duplicate to list by: reading the directory moves its offset,
	// and closing the list must not close fd.
	dup, err := unix.Dup(fd)
	if err != nil {
		return w.fail(name, err)
	}
	d := os.NewFile(uintptr(dup), name)
	defer d.Close()
	if _, err := unix.Seek(dup, 0, 0); err != nil {
		return w.fail(name, err)
	}
	for {
		names, err := d.Readdirnames(256)
		for _, n := range names {
			if err := w.addAt(fd, n, path.Join(name, n), depth); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(names) == 0) {
			return nil
		}
		if err != nil {
			return w.fail(name, err)
		}
	}
}

func (w *tarWalk) addAt(dirfd int, n, name string, depth int) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return w.fail(name, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		if w.entries++; w.entries > artifacts.MaxEntries {
			return w.fail(name, fmt.Errorf("more than %d entries", artifacts.MaxEntries))
		}
		buf := make([]byte, 4096)
		k, err := unix.Readlinkat(dirfd, n, buf)
		if err != nil {
			return w.fail(name, err)
		}
		return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: string(buf[:k]),
			Mode: 0o777, ModTime: time.Unix(st.Mtim.Unix())})
	}
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY
	if st.Mode&unix.S_IFMT != unix.S_IFREG && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return w.fail(name, fmt.Errorf("not a regular file, directory or link (%v)", fs.FileMode(st.Mode&unix.S_IFMT)))
	}
	fd, err := unix.Openat(dirfd, n, flags, 0)
	if err != nil {
		return w.fail(name, err)
	}
	defer func() { _ = unix.Close(fd) }()
	return w.add(fd, name, depth+1)
}

// fdReader reads a descriptor its caller owns and closes.
type fdReader int

func (r fdReader) Read(p []byte) (int, error) {
	n, err := unix.Read(int(r), p)
	switch {
	case err != nil:
		return 0, err
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}
