package artifacts

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// IsTarGz says whether the file at p is a gzip-compressed tar archive:
// a gzip stream whose content starts with a valid tar header. As Argo's
// executor does, a loaded artifact that is one is unpacked; any other
// file is given to the step as it is.
func IsTarGz(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(2)
	if err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return false, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return false, nil
	}
	_, err = tar.NewReader(zr).Next()
	return err == nil, nil
}

// Untar unpacks the tar+gzip archive at src to dst, which must not exist.
// Argo's archives hold one top entry, named after the artifact's path (a
// file, or a directory and what is under it): that entry becomes dst.
// Entries are written through an os.Root on a fresh directory, so no
// name and no link in the archive reaches outside it; hard links and
// device entries are refused, and MaxBytes/MaxEntries/MaxDepth hold.
func Untar(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	work := dst + ".untar"
	if err := os.Mkdir(work, 0o700); err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	root, err := os.OpenRoot(work)
	if err != nil {
		return err
	}
	defer root.Close()
	tops := map[string]bool{}
	var total int64
	tr := tar.NewReader(zr)
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if n >= MaxEntries {
			return fmt.Errorf("%s: more than %d entries", src, MaxEntries)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if name == "." || name == "/" || strings.HasPrefix(name, "/") || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("%s: entry %q lies outside the archive", src, h.Name)
		}
		if strings.Count(name, "/") >= MaxDepth {
			return fmt.Errorf("%s: entry %q nests deeper than %d directories", src, h.Name, MaxDepth)
		}
		tops[strings.SplitN(name, "/", 2)[0]] = true
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o700); err != nil {
				return fmt.Errorf("%s: %s: %w", src, h.Name, err)
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(name, 0o700)
		case tar.TypeReg:
			if total += h.Size; total > MaxBytes {
				return fmt.Errorf("%s: more than %d bytes unpacked", src, MaxBytes)
			}
			err = writeEntry(root, name, tr, h.Size, fs.FileMode(h.Mode).Perm())
		case tar.TypeSymlink:
			err = root.Symlink(h.Linkname, name)
		default:
			err = fmt.Errorf("entry type %q is not unpacked (only files, directories and symbolic links)", h.Typeflag)
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", src, h.Name, err)
		}
	}
	if len(tops) != 1 {
		return fmt.Errorf("%s: the archive holds %d top entries, not one", src, len(tops))
	}
	for top := range tops {
		return os.Rename(filepath.Join(work, top), dst)
	}
	return nil
}

func writeEntry(root *os.Root, name string, r io.Reader, size int64, perm fs.FileMode) error {
	// Owner bits only widen to what the owner had; group and others
	// keep theirs (a script stays executable).
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600|perm)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, r, size)
	return errors.Join(err, f.Close())
}
