package reconcile

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo keeps memoized outputs in ConfigMaps that carry this label; it
// refuses to read or write any other ConfigMap, so that a cache never
// overwrites a ConfigMap kept for something else (a lock's limits).
const (
	LabelConfigMapType = "workflows.argoproj.io/configmap-type"
	LabelValueCache    = "Cache"
)

// ErrNotACache is returned for a memoize cache that names a ConfigMap
// without Argo's cache label.
var ErrNotACache = errors.New("not a memoization cache")

// MemoEntry is one cache entry: the outputs a Succeeded node left under a
// key. It is kept as Argo writes it, so a cache reads the same to an Argo
// user.
type MemoEntry struct {
	NodeID            string
	Outputs           *wfv1.Outputs
	CreationTimestamp time.Time
	LastHitTimestamp  time.Time
}

// memoEntryJSON is Argo's layout; times are Kubernetes' (RFC 3339 in
// UTC, whole seconds).
type memoEntryJSON struct {
	NodeID            string        `json:"nodeID"`
	Outputs           *wfv1.Outputs `json:"outputs"`
	CreationTimestamp string        `json:"creationTimestamp"`
	LastHitTimestamp  string        `json:"lastHitTimestamp"`
}

// ParseMemoEntry reads an entry from a cache ConfigMap's value.
func ParseMemoEntry(s string) (*MemoEntry, error) {
	var j memoEntryJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, fmt.Errorf("malformed cache entry: %w", err)
	}
	e := &MemoEntry{NodeID: j.NodeID, Outputs: j.Outputs}
	var err error
	if e.CreationTimestamp, err = parseMemoTime(j.CreationTimestamp); err != nil {
		return nil, fmt.Errorf("malformed cache entry: creationTimestamp: %w", err)
	}
	if e.LastHitTimestamp, err = parseMemoTime(j.LastHitTimestamp); err != nil {
		return nil, fmt.Errorf("malformed cache entry: lastHitTimestamp: %w", err)
	}
	return e, nil
}

func parseMemoTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}

// String is the entry as a cache ConfigMap's value.
func (e *MemoEntry) String() string {
	b, err := json.Marshal(memoEntryJSON{NodeID: e.NodeID, Outputs: e.Outputs,
		CreationTimestamp: e.CreationTimestamp.UTC().Format(time.RFC3339),
		LastHitTimestamp:  e.LastHitTimestamp.UTC().Format(time.RFC3339)})
	if err != nil {
		// Outputs are strings and maps of strings: they always marshal.
		return ""
	}
	return string(b)
}

// IsMemoCache says whether a ConfigMap carries Argo's cache label.
func IsMemoCache(cm *wfv1.ConfigMap) bool {
	return cm.Metadata.Labels[LabelConfigMapType] == LabelValueCache
}

func notACache(name string) error {
	return fmt.Errorf("ConfigMap %q has no label %s=%s, so it is not used as a memoization cache: %w",
		name, LabelConfigMapType, LabelValueCache, ErrNotACache)
}

// MemoBounds cap one cache: its number of entries and the bytes of its
// keys and values. Past either, the least recently hit entries go.
type MemoBounds struct {
	MaxEntries int
	MaxBytes   int
}

// DefaultMemoBounds: a thousand entries, and room for the largest
// outputs one workflow may have (max-output-bytes, 8 MiB) twice over.
var DefaultMemoBounds = MemoBounds{MaxEntries: 1000, MaxBytes: 16 << 20}

// ApplyMemoWrites returns the cache ConfigMap name of namespace after ws
// (all of that cache): saves replace their key's entry, hits stamp theirs
// with now. cm is the cache as stored, nil when there is none: it is then
// made, labelled as Argo labels caches. It also returns the keys evicted
// to keep within b. cm itself is not changed.
func ApplyMemoWrites(cm *wfv1.ConfigMap, namespace, name string, ws []MemoWrite, now time.Time, b MemoBounds) (*wfv1.ConfigMap, []string, error) {
	var out wfv1.ConfigMap
	if cm == nil {
		t := now.UTC()
		out = wfv1.ConfigMap{TypeMeta: wfv1.TypeMeta{APIVersion: "v1", Kind: wfv1.KindConfigMap},
			Metadata: wfv1.ObjectMeta{Name: name, Namespace: namespace, CreationTimestamp: &t,
				Labels: map[string]string{LabelConfigMapType: LabelValueCache}}}
	} else {
		if !IsMemoCache(cm) {
			return nil, nil, notACache(name)
		}
		out = *cm
		out.Metadata.Labels = maps.Clone(cm.Metadata.Labels)
	}
	data := maps.Clone(out.Data)
	if data == nil {
		data = map[string]string{}
	}
	for _, w := range ws {
		if !w.Hit {
			data[w.Key] = (&MemoEntry{NodeID: w.NodeID, Outputs: w.Outputs, CreationTimestamp: now, LastHitTimestamp: now}).String()
			continue
		}
		// A hit of an entry removed meanwhile stamps nothing.
		if e, err := ParseMemoEntry(data[w.Key]); err == nil && data[w.Key] != "" {
			e.LastHitTimestamp = now
			data[w.Key] = e.String()
		}
	}
	out.Data = data
	return &out, evictMemo(data, b), nil
}

// evictMemo deletes the least recently hit entries of data (a damaged
// entry first, then by last hit, creation and key) until it is within b,
// and returns their keys.
func evictMemo(data map[string]string, b MemoBounds) []string {
	size := 0
	for k, v := range data {
		size += len(k) + len(v)
	}
	if (b.MaxEntries <= 0 || len(data) <= b.MaxEntries) && (b.MaxBytes <= 0 || size <= b.MaxBytes) {
		return nil
	}
	type aged struct {
		key       string
		hit, made time.Time
	}
	all := make([]aged, 0, len(data))
	for k, v := range data {
		a := aged{key: k}
		if e, err := ParseMemoEntry(v); err == nil {
			a.hit, a.made = e.LastHitTimestamp, e.CreationTimestamp
		}
		all = append(all, a)
	}
	sort.Slice(all, func(i, j int) bool {
		x, y := all[i], all[j]
		switch {
		case !x.hit.Equal(y.hit):
			return x.hit.Before(y.hit)
		case !x.made.Equal(y.made):
			return x.made.Before(y.made)
		}
		return x.key < y.key
	})
	var evicted []string
	for _, a := range all {
		if (b.MaxEntries <= 0 || len(data) <= b.MaxEntries) && (b.MaxBytes <= 0 || size <= b.MaxBytes) {
			break
		}
		size -= len(a.key) + len(data[a.key])
		delete(data, a.key)
		evicted = append(evicted, a.key)
	}
	return evicted
}
