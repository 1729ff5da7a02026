package sim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/semaflow/semaflow/internal/domain"
)

// SetLimit changes a lock's limit for the run. name is the lock's key or
// a short form of it: a mutex's or database semaphore's name, a ConfigMap
// semaphore's <configmap>/<key> or <key>; a short form must name one lock.
func (s *Scenario) SetLimit(name string, limit int) error {
	if limit < 0 {
		return fmt.Errorf("--set %s=%d: a limit must not be negative", name, limit)
	}
	i, err := s.findLock(name)
	if err != nil {
		return err
	}
	s.Locks[i].Limit = limit
	return nil
}

func (s *Scenario) findLock(name string) (int, error) {
	var hits []int
	for i, l := range s.Locks {
		if l.Key == name {
			return i, nil
		}
		if shortNames(l.Key)[name] {
			hits = append(hits, i)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		keys := make([]string, len(s.Locks))
		for i, l := range s.Locks {
			keys[i] = l.Key
		}
		sort.Strings(keys)
		return 0, fmt.Errorf("--set %s: no lock of that name; the locks are %s", name, strings.Join(keys, ", "))
	}
	keys := make([]string, len(hits))
	for i, h := range hits {
		keys[i] = s.Locks[h].Key
	}
	return 0, fmt.Errorf("--set %s: names %d locks (%s); give the whole key", name, len(hits), strings.Join(keys, ", "))
}

func shortNames(key string) map[string]bool {
	k, err := domain.ParseLockKey(key)
	if err != nil {
		return nil
	}
	if k.Kind == domain.LockConfigMap {
		return map[string]bool{k.Name + "/" + k.Key: true, k.Key: true}
	}
	return map[string]bool{k.Name: true}
}

// SetPriority gives every workflow of kind (or the workflow of that name)
// a priority for the run; it fails when none matches.
func (s *Scenario) SetPriority(kind string, priority int32) error {
	n := 0
	for i := range s.Workflows {
		if w := &s.Workflows[i]; w.Kind == kind || w.Name == kind {
			w.Priority = priority
			n++
		}
	}
	if n == 0 {
		kinds := map[string]bool{}
		for _, w := range s.Workflows {
			kinds[w.Kind] = true
		}
		list := make([]string, 0, len(kinds))
		for k := range kinds {
			list = append(list, k)
		}
		sort.Strings(list)
		return fmt.Errorf("--priority %s: no workflow of that kind or name; the kinds are %s", kind, strings.Join(list, ", "))
	}
	return nil
}
