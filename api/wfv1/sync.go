package wfv1

// Synchronization is a set of locks to hold while a workflow or template
// runs, taken all-or-nothing. Both Argo forms are accepted: the v3.5 singular
// `semaphore:`/`mutex:` and the v3.6+ lists `semaphores:`/`mutexes:`.
type Synchronization struct {
	Semaphore  *SemaphoreRef   `json:"semaphore,omitempty"`
	Mutex      *Mutex          `json:"mutex,omitempty"`
	Semaphores []*SemaphoreRef `json:"semaphores,omitempty"`
	Mutexes    []*Mutex        `json:"mutexes,omitempty"`
}

// AllSemaphores returns the semaphores in Argo's merge order: the singular
// item first, then the list.
func (s *Synchronization) AllSemaphores() []*SemaphoreRef {
	if s == nil {
		return nil
	}
	out := make([]*SemaphoreRef, 0, len(s.Semaphores)+1)
	if s.Semaphore != nil {
		out = append(out, s.Semaphore)
	}
	return append(out, s.Semaphores...)
}

// AllMutexes returns the mutexes in Argo's merge order.
func (s *Synchronization) AllMutexes() []*Mutex {
	if s == nil {
		return nil
	}
	out := make([]*Mutex, 0, len(s.Mutexes)+1)
	if s.Mutex != nil {
		out = append(out, s.Mutex)
	}
	return append(out, s.Mutexes...)
}

// SemaphoreRef names a semaphore: a ConfigMap key or a database key that
// holds its limit.
type SemaphoreRef struct {
	ConfigMapKeyRef *ConfigMapKeySelector `json:"configMapKeyRef,omitempty"`
	Namespace       string                `json:"namespace,omitempty"`
	Database        *SyncDatabaseRef      `json:"database,omitempty"`
}

// SyncDatabaseRef names a limit kept in the store.
type SyncDatabaseRef struct {
	Key string `json:"key"`
}

// Mutex is a lock with limit 1.
type Mutex struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Database  bool   `json:"database,omitempty"`
}

// SynchronizationStatus is the locks a workflow holds and waits for.
type SynchronizationStatus struct {
	Semaphore *SemaphoreStatus `json:"semaphore,omitempty"`
	Mutex     *MutexStatus     `json:"mutex,omitempty"`
	// Tokens maps each holder of this workflow to the fencing tokens of
	// the locks it holds (semaflow's addition).
	Tokens map[string]map[string]uint64 `json:"tokens,omitempty"`
}

// SemaphoreStatus lists semaphores held and awaited.
type SemaphoreStatus struct {
	Holding []SemaphoreHolding `json:"holding,omitempty"`
	Waiting []SemaphoreHolding `json:"waiting,omitempty"`
}

// SemaphoreHolding is one semaphore and holder keys.
type SemaphoreHolding struct {
	Semaphore string   `json:"semaphore,omitempty"`
	Holders   []string `json:"holders,omitempty"`
}

// MutexStatus lists mutexes held and awaited.
type MutexStatus struct {
	Holding []MutexHolding `json:"holding,omitempty"`
	Waiting []MutexHolding `json:"waiting,omitempty"`
}

// MutexHolding is one mutex and a holder key.
type MutexHolding struct {
	Mutex  string `json:"mutex,omitempty"`
	Holder string `json:"holder,omitempty"`
}

// NodeSynchronizationStatus is the lock a node waits for.
type NodeSynchronizationStatus struct {
	Waiting string `json:"waiting,omitempty"`
	// Tokens are the fencing tokens of the locks the node holds
	// (semaflow's addition).
	Tokens map[string]uint64 `json:"tokens,omitempty"`
}
