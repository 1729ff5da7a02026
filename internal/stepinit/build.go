package stepinit

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

// The supervisor (in semaflow) and the init (semaflow-init, a separate
// binary) must be built from the same step init: a stale semaflow-init
// left beside a newer semaflow would misread its configuration (a field
// it does not know is dropped, not refused). Both carry this package's
// sources, and the init refuses a configuration whose Build differs from
// its own.

//go:embed *.go
var sources embed.FS

// Build identifies this package's sources: a hash of every file in it.
var Build = sync.OnceValue(func() string {
	h := sha256.New()
	// fs.WalkDir visits in lexical order, so the hash is stable.
	_ = fs.WalkDir(sources, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := sources.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path + "\x00"))
		h.Write(b)
		h.Write([]byte{0})
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)[:12])
})
