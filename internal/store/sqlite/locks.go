package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// ClaimLocks needs no lock of its own: Open begins every transaction
// with BEGIN IMMEDIATE (_txlock), so this one has held the database's
// write lock since it began and every other handle's writer waits.
func (t *txn) ClaimLocks(ctx context.Context, writer string) (store.LockGeneration, error) {
	if writer == "" {
		return store.LockGeneration{}, errors.New("lock generation: a claim names its writer")
	}
	var g store.LockGeneration
	var counter int64
	// One statement, as a claim comes with every lock decision: SET reads
	// the old row, RETURNING the new one.
	err := t.queryRow(ctx, sqlClaimLocks, writer).Scan(&counter, &g.Writer)
	if err != nil {
		return g, fmt.Errorf("lock generation: %w", err)
	}
	g.Counter = uint64(counter)
	t.claimed = true
	return g, nil
}

// changeLocks raises the generation, with no writer, at the first change
// of lock state in a transaction that did not claim: every manager then
// rebuilds from the store.
func (t *txn) changeLocks(ctx context.Context) error {
	if t.claimed {
		return nil
	}
	if _, err := t.exec(ctx, sqlChangeLocks); err != nil {
		return fmt.Errorf("lock generation: %w", err)
	}
	t.claimed = true
	return nil
}

func (t *txn) PutLockLimit(ctx context.Context, key string, limit int) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO locks (key, lim) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET lim = excluded.lim`, key, limit)
	return err
}

func (t *txn) PutFence(ctx context.Context, key string, fence uint64) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	// MAX keeps the counter monotonic whatever order writes come in.
	_, err := t.exec(ctx, sqlPutFence, int64(fence), key)
	return err
}

func (t *txn) PutHold(ctx context.Context, holder string, tokens []domain.Token, info store.HoldInfo) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	for _, tok := range tokens {
		if _, err := t.exec(ctx, sqlPutHold,
			holder, tok.Lock, int64(tok.Value), t.session, store.UnixNanos(info.Since), info.Template); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) PutHoldStats(ctx context.Context, s store.HoldStats) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	_, err := t.exec(ctx, sqlPutHoldStats, s.Lock, s.Template, s.Digest)
	return err
}

func (t *txn) DeleteHold(ctx context.Context, holder string) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	_, err := t.exec(ctx, sqlDeleteHold, holder)
	return err
}

func (t *txn) PutWaiter(ctx context.Context, w domain.QueuedWaiter) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	locks, err := json.Marshal(w.Locks)
	if err != nil {
		return err
	}
	under, err := store.EncodeUnder(w.Under)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, sqlPutWaiter,
		w.Holder, string(locks), w.Priority, w.Created.UnixNano(), int64(w.Seq), w.Enqueued.UnixNano(), under, w.Template)
	return err
}

func (t *txn) DeleteWaiter(ctx context.Context, holder string) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	_, err := t.exec(ctx, sqlDeleteWaiter, holder)
	return err
}

func (t *txn) NextLockSeq(ctx context.Context) (uint64, error) {
	var v int64
	err := t.queryRow(ctx, sqlNextLockSeq).Scan(&v)
	return uint64(v), err
}

func (t *txn) LoadLocks(ctx context.Context) (*store.LockState, error) {
	st := &store.LockState{Holds: map[string][]domain.Token{}, HoldInfo: map[string]store.HoldInfo{}}
	rows, err := t.query(ctx, `SELECT key, lim, fence FROM locks ORDER BY key`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l store.LockInfo
		var fence int64
		if err := rows.Scan(&l.Key, &l.Limit, &fence); err != nil {
			rows.Close()
			return nil, err
		}
		l.Fence = uint64(fence)
		st.Locks = append(st.Locks, l)
	}
	rows.Close()
	rows, err = t.query(ctx, `SELECT holder, lock_key, token, template, since FROM lock_holds ORDER BY holder, lock_key`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var holder string
		var tok domain.Token
		var template string
		var v, since int64
		if err := rows.Scan(&holder, &tok.Lock, &v, &template, &since); err != nil {
			rows.Close()
			return nil, err
		}
		tok.Value = uint64(v)
		st.Holds[holder] = append(st.Holds[holder], tok)
		store.NoteHold(st, holder, template, since)
	}
	rows.Close()
	rows, err = t.query(ctx, `SELECT lock_key, template, digest FROM lock_stats ORDER BY lock_key, template`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var hs store.HoldStats
		if err := rows.Scan(&hs.Lock, &hs.Template, &hs.Digest); err != nil {
			rows.Close()
			return nil, err
		}
		st.Stats = append(st.Stats, hs)
	}
	rows.Close()
	rows, err = t.query(ctx, `SELECT holder, locks, priority, created, seq, enqueued, under_nodes, template FROM lock_waiters
		ORDER BY priority DESC, created, seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var w domain.QueuedWaiter
		var locks, under string
		var created, seq, enq int64
		if err := rows.Scan(&w.Holder, &locks, &w.Priority, &created, &seq, &enq, &under, &w.Template); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(locks), &w.Locks); err != nil {
			return nil, err
		}
		if w.Under, err = store.DecodeUnder(under); err != nil {
			return nil, fmt.Errorf("waiter %s: %w", w.Holder, err)
		}
		w.Created, w.Seq, w.Enqueued = time.Unix(0, created), uint64(seq), time.Unix(0, enq)
		st.Waiters = append(st.Waiters, w)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var next int64
	err = t.queryRow(ctx, `SELECT value FROM lock_meta WHERE name = 'next_seq'`).Scan(&next)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	st.NextSeq = uint64(next) + 1
	return st, nil
}
