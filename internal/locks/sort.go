package locks

import (
	"sort"

	"github.com/semaflow/semaflow/internal/lockq"
)

func sortHolders(h []lockq.HolderState) {
	sort.Slice(h, func(i, j int) bool { return h[i].ID < h[j].ID })
}
