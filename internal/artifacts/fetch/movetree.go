package fetch

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// userScratch makes a directory for git run as u: in the host's temporary
// directory, since u may not enter the data directory, and u's alone.
func userScratch(u *User) (string, error) {
	dir, err := os.MkdirTemp("", "semaflow-git-")
	if err != nil {
		return "", fmt.Errorf("git's scratch directory: %w", err)
	}
	if err := chownTo(dir, u); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("git's scratch directory: %w", err)
	}
	return dir, nil
}

// Bounds of a clone moved into place.
const (
	maxTreeEntries = 200000
	maxTreeBytes   = 4 << 30
)

// moveTree moves the clone at src (written by another user) to dst,
// copying it when they are on different filesystems. The copy reads src
// through an os.Root, so no link its owner plants leads the engine out
// of it; links are copied as links, other special files dropped.
func moveTree(src, dst string) error {
	err := os.Rename(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return err
	}
	return copyTree(src, dst)
}

// copyTree copies src to dst (moveTree across filesystems).
func copyTree(src, dst string) error {
	root, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	var n, size int64
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n++; n > maxTreeEntries {
			return fmt.Errorf("the clone has over %d entries", maxTreeEntries)
		}
		if p == "." {
			return nil
		}
		to := filepath.Join(dst, filepath.FromSlash(p))
		switch t := d.Type(); {
		case t.IsDir():
			return os.Mkdir(to, 0o700)
		case t&fs.ModeSymlink != 0:
			link, err := root.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		case t.IsRegular():
			in, err := root.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
			if err != nil {
				return err
			}
			defer in.Close()
			st, err := in.Stat()
			if err != nil {
				return err
			}
			out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm()&0o700)
			if err != nil {
				return err
			}
			c, err := io.Copy(out, io.LimitReader(in, maxTreeBytes-size+1))
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if size += c; err == nil && size > maxTreeBytes {
				err = fmt.Errorf("the clone is over %d bytes", int64(maxTreeBytes))
			}
			return err
		}
		return nil
	})
	if err != nil {
		_ = os.RemoveAll(dst)
		return fmt.Errorf("moving the clone into place: %w", err)
	}
	return nil
}
