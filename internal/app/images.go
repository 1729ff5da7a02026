package app

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/semaflow/semaflow/internal/images"
)

// ImageTableFile is the user's image table looked for in the data
// directory when no --image-table is given.
const ImageTableFile = "images.yaml"

// loadImageTable reads the user's image table: path, or, when empty,
// dataDir's images.yaml if there is one. nil means the built-ins only.
func loadImageTable(path, dataDir string) (*images.Table, error) {
	if path == "" {
		path = filepath.Join(dataDir, ImageTableFile)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return images.Parse(path, b)
}
