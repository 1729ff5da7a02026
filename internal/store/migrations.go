package store

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Migration is one schema change of a driver, from its embedded file
// "NNNN_what.sql".
type Migration struct {
	Version int
	Name    string // the file's base name
}

// Migrations reads the versions of migration files (paths or base
// names, in any order) and returns them in version order. Both drivers
// record a migration as applied by its number alone, so the numbers must
// run 1, 2, 3… with no gap and no repeat: a repeated number would be
// taken for applied and skipped, and a gap is a file lost in a merge.
func Migrations(files []string) ([]Migration, error) {
	out := make([]Migration, len(files))
	at := map[int]string{}
	for _, f := range files {
		base := path.Base(f)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || len(num) != 4 {
			return nil, fmt.Errorf("migration %s: the name must start with a four-digit version from 0001 and an underscore", base)
		}
		if prev, dup := at[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d: renumber one (each version is applied once)", prev, base, v)
		}
		if v > len(files) {
			return nil, fmt.Errorf("migration %s: version %d with %d migrations: the versions must run from 1 with no gap", base, v, len(files))
		}
		at[v] = base
		out[v-1] = Migration{Version: v, Name: base}
	}
	return out, nil
}
