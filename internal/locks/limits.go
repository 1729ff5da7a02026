package locks

import (
	"fmt"
	"slices"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/spec"
)

// ConfigMapUsers lists the semaphores whose limit the ConfigMap
// namespace/name sets and that have holders or waiters, with them
// (holders first, then waiters in queue order), by lock key. A change
// that leaves such a semaphore without a limit is refused by the engine.
func (m *Manager) ConfigMapUsers(namespace, name string) map[string][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]string{}
	for _, key := range m.q.Keys() {
		if ref, ok := configMapRef(key); !ok || ref.Namespace != namespace || ref.ConfigMap != name {
			continue
		}
		info, ok := m.q.Lock(key)
		if ok && len(info.Holders)+len(info.Waiters) > 0 {
			out[key] = append(slices.Clone(info.Holders), info.Waiters...)
		}
	}
	return out
}

// refFor is the ref of a known lock key; a ConfigMap semaphore restored
// from the store, not yet requested again, is rebuilt from its key.
func (m *Manager) refFor(key string) (spec.LockRef, bool) {
	if ref, ok := m.refs[key]; ok {
		return ref, true
	}
	return configMapRef(key)
}

// configMapRef is the ref of a ConfigMap semaphore's key, for a lock
// known only from the store: false for other keys.
func configMapRef(key string) (spec.LockRef, bool) {
	k, err := domain.ParseLockKey(key)
	if err != nil || k.Kind != domain.LockConfigMap {
		return spec.LockRef{}, false
	}
	return spec.LockRef{Key: key, Kind: spec.LockConfigMap, Namespace: k.Namespace, ConfigMap: k.Name, ConfigMapKey: k.Key}, true
}

// limitProblem says why a ConfigMap semaphore's limit cannot be read now
// ("" when it can, or for other locks). Waiters are shown it: the queue
// keeps the last known limit, which would otherwise look like a plain
// wait. The value itself is never quoted.
func (m *Manager) limitProblem(key string) string {
	ref, ok := m.refFor(key)
	if !ok || ref.Kind != spec.LockConfigMap || ref.IsMutex {
		return ""
	}
	cm := m.cms.ConfigMap(ref.Namespace, ref.ConfigMap)
	if cm == nil {
		return fmt.Sprintf("ConfigMap %s/%s was deleted", ref.Namespace, ref.ConfigMap)
	}
	if _, err := spec.ParseLimit(cm.Data, ref.ConfigMapKey); err != nil {
		return fmt.Sprintf("ConfigMap %s/%s %v", ref.Namespace, ref.ConfigMap, err)
	}
	return ""
}
