package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/spec"
)

// applyConfigMap sends a file's ConfigMap to the server, first warning
// for each semaphore limit it lowers: a limit raised with `sync set`
// lives in the stored ConfigMap, and a file that still says the old
// value would take it back without a word.
func applyConfigMap(ctx context.Context, stderr io.Writer, c *client.Client, file string, cm *wfv1.ConfigMap) error {
	ns := cm.Metadata.Namespace
	if ns == "" {
		ns = spec.DefaultNamespace
	}
	var old wfv1.ConfigMap
	err := c.GetObject(ctx, client.ConfigMaps, ns, cm.Metadata.Name, &old)
	switch {
	case client.NotFound(err):
	case err != nil:
		return fmt.Errorf("%s: ConfigMap %s: %w", file, cm.Metadata.Name, err)
	default:
		for _, l := range loweredLimits(ns, &old, cm) {
			// Only a key that is a lock's limit: other data may be numbers.
			if views, err := c.Locks(ctx, l.lock); err == nil && len(views) > 0 {
				fmt.Fprintf(stderr, "warning: %s: ConfigMap %s lowers the limit of lock %s from %d to %d (a limit set with `sync set` is replaced by the file's)\n",
					file, cm.Metadata.Name, l.lock, l.from, l.to)
			}
		}
	}
	if err := c.ApplyConfigMap(ctx, cm); err != nil {
		return fmt.Errorf("%s: ConfigMap %s: %w", file, cm.Metadata.Name, err)
	}
	return nil
}

type lowered struct {
	lock     string
	from, to int
}

// loweredLimits lists the integer keys whose value next is below old's,
// by key.
func loweredLimits(ns string, old, next *wfv1.ConfigMap) []lowered {
	var out []lowered
	for k, v := range next.Data {
		to, err1 := strconv.Atoi(strings.TrimSpace(v))
		from, err2 := strconv.Atoi(strings.TrimSpace(old.Data[k]))
		if err1 == nil && err2 == nil && to < from {
			key := domain.LockKey{Namespace: ns, Kind: domain.LockConfigMap, Name: next.Metadata.Name, Key: k}.String()
			out = append(out, lowered{lock: key, from: from, to: to})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lock < out[j].lock })
	return out
}
