package store

import (
	"context"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// LockTx is the part of a transaction that persists lock state: limits,
// fencing counters, holds and waiters with their order keys, and the
// generation that names each committed version of it.
//
// A lock manager decides grants from its in-memory queues, which it
// trusts only while the stored generation is the one it wrote last: every
// operation that can grant first calls ClaimLocks, and when the stored
// generation is another one (another manager's, a write outside any
// manager, or one of its own transactions that rolled back) rebuilds its
// queues from LoadLocks, in the same transaction, before deciding. With
// the serialisation of Store's contract that makes every grant a decision
// on the committed state. Drivers guarantee:
//   - ClaimLocks(w) returns the stored generation g and stores
//     {g.Counter + 1, w} in this transaction, so a rollback restores g.
//     w is never empty.
//   - A transaction that changes lock state (PutLockLimit, PutFence,
//     PutHold, MarkHold, DeleteHold, PutWaiter, DeleteWaiter,
//     PutHoldStats) without having
//     claimed raises the generation with an empty Writer at its first
//     change, taking the same lock a claim takes, so every manager
//     rebuilds; NextLockSeq is not a change.
//   - The counter never goes back.
//
// The manager's part: a writer is unique per manager instance, so a
// generation written by one manager in a transaction that rolled back and
// one committed by another can never look alike.
type LockTx interface {
	// ClaimLocks serialises this transaction's lock decisions against
	// every other handle's (see Store) and returns the generation stored
	// before it, having stored the next one under writer.
	ClaimLocks(ctx context.Context, writer string) (LockGeneration, error)
	// PutLockLimit sets a lock's limit, creating the lock if needed; its
	// fencing counter is kept.
	PutLockLimit(ctx context.Context, key string, limit int) error
	// PutFence records the last fencing token handed out for a lock.
	PutFence(ctx context.Context, key string, fence uint64) error
	// PutHold records that holder holds tokens' locks, replacing the
	// token of a lock it held already.
	PutHold(ctx context.Context, holder string, tokens []domain.Token) error
	// MarkHold records when holder's hold began and the template that
	// took it, on every lock it holds (after PutHold).
	MarkHold(ctx context.Context, holder string, info HoldInfo) error
	// DeleteHold ends every hold of holder; an unknown holder is not an
	// error.
	DeleteHold(ctx context.Context, holder string) error
	// PutWaiter queues w, replacing the waiter with the same holder.
	PutWaiter(ctx context.Context, w domain.QueuedWaiter) error
	// DeleteWaiter removes holder's waiter; an unknown holder is not an
	// error.
	DeleteWaiter(ctx context.Context, holder string) error
	// PutHoldStats stores the hold-time digest (eta.Digest's text form)
	// of a lock for one template ("": every hold of the lock), replacing
	// the one stored.
	PutHoldStats(ctx context.Context, s HoldStats) error
	// NextLockSeq returns a new enqueue sequence number, never reused.
	NextLockSeq(ctx context.Context) (uint64, error)
	// LoadLocks returns all lock state: locks by key, waiters in queue
	// order (priority high to low, then created, then seq).
	LoadLocks(ctx context.Context) (*LockState, error)
}

// LockGeneration names one committed version of the lock state: a counter
// that every change raises, and the lock manager that wrote it ("" for a
// write outside any manager).
type LockGeneration struct {
	Counter uint64
	Writer  string
}

// LockInfo is one lock's limit and fencing counter.
type LockInfo struct {
	Key   string
	Limit int
	Fence uint64
}

// HoldInfo is when a hold began (zero: unknown, a hold stored before
// this was kept) and the template that took it.
type HoldInfo struct {
	Template string
	Since    time.Time
}

// HoldStats is the hold-time digest of a lock for one template ("" for
// every hold of the lock), as text the store keeps without reading it.
type HoldStats struct {
	Lock, Template string
	Digest         string
}

// LockState is all persisted lock state.
type LockState struct {
	Locks    []LockInfo
	Holds    map[string][]domain.Token // by holder key
	HoldInfo map[string]HoldInfo       // by holder key, for holders marked
	Waiters  []domain.QueuedWaiter
	Stats    []HoldStats // by lock, then template
	NextSeq  uint64
}
