package artifacts

import (
	"fmt"
	"strings"
)

// MaxKeyLen bounds a key: S3 allows 1024 bytes, and so does every driver.
const MaxKeyLen = 1024

// CheckKey validates a key as every repository reads it: slash-separated
// names, relative, with no empty, "." or ".." component and no NUL. Keys
// come from manifests (key: ...) and node names, so they are hostile
// until checked; a key that passes cannot name anything outside the
// repository by its spelling (the local driver still refuses links).
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrBadKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w %.40q...: longer than %d bytes", ErrBadKey, key, MaxKeyLen)
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("%w %q: absolute (a key is relative to the repository)", ErrBadKey, key)
	case strings.ContainsRune(key, 0):
		return fmt.Errorf("%w %q: contains NUL", ErrBadKey, key)
	}
	for _, part := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
		switch part {
		case "":
			return fmt.Errorf("%w %q: empty path component", ErrBadKey, key)
		case ".", "..":
			return fmt.Errorf("%w %q: %q component (a key may not leave the repository)", ErrBadKey, key, part)
		}
	}
	return nil
}
