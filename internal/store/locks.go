package store

import (
	"context"
	"encoding/json"
	"fmt"
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
//     PutHold, DeleteHold, PutWaiter, DeleteWaiter) without having
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
	// PutHold records that holder holds tokens' locks since since,
	// replacing the token of a lock it held already (and keeping when that
	// hold began).
	PutHold(ctx context.Context, holder string, tokens []domain.Token, since time.Time) error
	// DeleteHold ends every hold of holder; an unknown holder is not an
	// error.
	DeleteHold(ctx context.Context, holder string) error
	// PutWaiter queues w, replacing the waiter with the same holder.
	PutWaiter(ctx context.Context, w domain.QueuedWaiter) error
	// DeleteWaiter removes holder's waiter; an unknown holder is not an
	// error.
	DeleteWaiter(ctx context.Context, holder string) error
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

// LockState is all persisted lock state.
type LockState struct {
	Locks []LockInfo
	Holds map[string][]domain.Token // by holder key
	// HoldSince says when each holder's hold began (its earliest lock);
	// a hold stored before semaflow recorded it is missing.
	HoldSince map[string]time.Time
	Waiters   []domain.QueuedWaiter
	NextSeq   uint64
}

// NoteHoldSince records, for drivers reading holds row by row, that
// holder holds a lock since unixNano (0: not recorded); a hold's time is
// that of its earliest lock.
func NoteHoldSince(st *LockState, holder string, unixNano int64) {
	if unixNano == 0 {
		return
	}
	t := time.Unix(0, unixNano)
	if cur, ok := st.HoldSince[holder]; !ok || t.Before(cur) {
		st.HoldSince[holder] = t
	}
}

// EncodeUnder is the stored form of a waiter's Under: a JSON list, "[]"
// for none (the column's default for waiters queued before it existed).
func EncodeUnder(under []string) (string, error) {
	if len(under) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(under)
	return string(b), err
}

// DecodeUnder reads a stored Under; none is nil.
func DecodeUnder(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("stored under_nodes: %w", err)
	}
	return out, nil
}
