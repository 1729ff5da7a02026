package store

import "time"

// LockTx is the part of a transaction that persists lock state: limits,
// fencing counters, holds and waiters with their order keys.
type LockTx interface {
	// PutLockLimit sets a lock's limit, creating the lock if needed; its
	// fencing counter is kept.
	PutLockLimit(key string, limit int) error
	// PutFence records the last fencing token handed out for a lock.
	PutFence(key string, fence uint64) error
	PutHold(holder string, tokens []LockToken) error
	DeleteHold(holder string) error
	PutWaiter(w LockWaiter) error
	DeleteWaiter(holder string) error
	// NextLockSeq returns a new enqueue sequence number, never reused.
	NextLockSeq() (uint64, error)
	LoadLocks() (*LockState, error)
}

// LockToken is one lock held, with its fencing token.
type LockToken struct {
	Lock  string
	Value uint64
}

// LockWaiter is a queued request for locks, with its order key.
type LockWaiter struct {
	Holder   string
	Locks    []string
	Priority int32
	Created  time.Time
	Seq      uint64
	Enqueued time.Time
}

// LockInfo is one lock's limit and fencing counter.
type LockInfo struct {
	Key   string
	Limit int
	Fence uint64
}

// LockState is all persisted lock state.
type LockState struct {
	Locks   []LockInfo
	Holds   map[string][]LockToken
	Waiters []LockWaiter
	NextSeq uint64
}
