package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Opener is a Driver that streams one stored object, so a server hands
// an artifact out without copying it to disk or holding it in memory.
type Opener interface {
	// Open returns what is stored under key, to be closed by the caller,
	// and its size. A tree (a directory saved without an archive) is
	// ErrIsTree; nothing stored is ErrNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, Info, error)
}

// ErrIsTree is returned (wrapped, with the key) by Open for a key that
// holds a directory of objects rather than one object.
var ErrIsTree = errors.New("a directory of objects, not one object")

// Open implements Opener. No component of key may be a link: a step
// stores links in its trees as they are, and one pointing at a sibling
// directory must not reach another workflow's artifacts through a
// download path.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, Info, error) {
	if err := CheckKey(key); err != nil {
		return nil, Info{}, err
	}
	key = path.Clean(key)
	parts := strings.Split(key, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		st, err := l.root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Info{}, fmt.Errorf("artifact %s: %w", key, ErrNotFound)
		}
		if err != nil {
			return nil, Info{}, fmt.Errorf("artifact %s: %w", key, err)
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return nil, Info{}, fmt.Errorf("artifact %s: %s is a link, which is not served", key, p)
		}
		if i < len(parts)-1 {
			continue
		}
		switch {
		case st.IsDir():
			return nil, Info{}, fmt.Errorf("artifact %s: %w", key, ErrIsTree)
		case !st.Mode().IsRegular():
			return nil, Info{}, fmt.Errorf("artifact %s: stored as %v, not a file", key, st.Mode().Type())
		}
		f, err := l.root.OpenFile(key, os.O_RDONLY|syscallNoFollow, 0)
		if err != nil {
			return nil, Info{}, fmt.Errorf("artifact %s: %w", key, err)
		}
		return f, Info{Size: st.Size()}, nil
	}
	return nil, Info{}, fmt.Errorf("artifact %s: %w", key, ErrNotFound)
}

var _ Opener = (*Local)(nil)
