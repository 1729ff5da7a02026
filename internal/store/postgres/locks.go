package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// ClaimLocks is one UPDATE of the generation row: its row lock, held
// until this transaction ends, makes every other claim or change of lock
// state wait (the store's contract), and at READ COMMITTED the UPDATE,
// having waited, acts on the row the previous claimant committed. SET
// reads the old row, RETURNING the new one.
//
// The same round trip reads the next lock sequence number, in a
// statement of its own so that its snapshot is taken after the wait:
// while this transaction holds the row, no other takes a number (see
// NextLockSeq), so the numbers it takes come from memory.
func (t *txn) ClaimLocks(ctx context.Context, writer string) (store.LockGeneration, error) {
	if writer == "" {
		return store.LockGeneration{}, errors.New("lock generation: a claim names its writer")
	}
	var g store.LockGeneration
	var counter, seq int64
	b := &pgx.Batch{}
	b.Queue(`UPDATE lock_generation SET prev_writer = writer, counter = counter + 1, writer = $1
		WHERE id = 1 RETURNING counter - 1, prev_writer`, writer).QueryRow(func(row pgx.Row) error {
		return row.Scan(&counter, &g.Writer)
	})
	b.Queue(lastSeq).QueryRow(func(row pgx.Row) error { return row.Scan(&seq) })
	if err := t.batch(ctx, "claim the lock generation", b); err != nil {
		return g, fmt.Errorf("lock generation: %w", err)
	}
	g.Counter = uint64(counter)
	t.claimed = true
	t.seq, t.seqHeld = seq, true
	return g, nil
}

// lastSeq reads the last lock sequence number taken (0: none yet).
const lastSeq = `SELECT COALESCE((SELECT value FROM lock_meta WHERE name = 'next_seq'), 0)`

// changeLocks raises the generation, with no writer, at the first change
// of lock state in a transaction that did not claim, taking the row lock
// a claim takes: every manager then rebuilds from the store.
func (t *txn) changeLocks(ctx context.Context) error {
	if t.claimed {
		return nil
	}
	if _, err := t.exec(ctx, "raise the lock generation", `UPDATE lock_generation SET counter = counter + 1, writer = '' WHERE id = 1`); err != nil {
		return fmt.Errorf("lock generation: %w", err)
	}
	t.claimed = true
	return nil
}

func (t *txn) PutLockLimit(ctx context.Context, key string, limit int) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	t.later("set the limit of lock "+key, `INSERT INTO locks (key, lim) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET lim = excluded.lim`, key, limit)
	return nil
}

func (t *txn) PutFence(ctx context.Context, key string, fence uint64) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	// GREATEST keeps the counter monotonic whatever order writes come in.
	t.later("record the fence of lock "+key, `UPDATE locks SET fence = GREATEST(fence, $1) WHERE key = $2`, int64(fence), key)
	return nil
}

func (t *txn) PutHold(ctx context.Context, holder string, tokens []domain.Token) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	if len(tokens) == 0 {
		return nil
	}
	for _, tok := range tokens {
		t.later("record the holds of "+holder, `INSERT INTO lock_holds (holder, lock_key, token, session) VALUES ($1,$2,$3,$4)
			ON CONFLICT (holder, lock_key) DO UPDATE SET token = excluded.token, session = excluded.session`,
			holder, tok.Lock, int64(tok.Value), t.session)
	}
	t.note(store.TopicHold, holder)
	return nil
}

func (t *txn) MarkHold(ctx context.Context, holder string, info store.HoldInfo) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	var since int64
	if !info.Since.IsZero() {
		since = info.Since.UnixNano()
	}
	t.later("record when the holds of "+holder+" began", `UPDATE lock_holds SET template = $1, since = $2 WHERE holder = $3`,
		info.Template, since, holder)
	return nil
}

func (t *txn) PutHoldStats(ctx context.Context, s store.HoldStats) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	t.later("store the hold times of lock "+s.Lock, `INSERT INTO lock_stats (lock_key, template, digest) VALUES ($1,$2,$3)
		ON CONFLICT (lock_key, template) DO UPDATE SET digest = excluded.digest`, s.Lock, s.Template, s.Digest)
	return nil
}

func (t *txn) DeleteHold(ctx context.Context, holder string) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	t.later("delete the holds of "+holder, `DELETE FROM lock_holds WHERE holder = $1`, holder)
	return nil
}

func (t *txn) PutWaiter(ctx context.Context, w domain.QueuedWaiter) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	locks, err := json.Marshal(w.Locks)
	if err != nil {
		return err
	}
	t.later("queue waiter "+w.Holder, `INSERT INTO lock_waiters (holder, locks, priority, created, seq, enqueued, template) VALUES ($1,$2,$3,$4,$5,$6,$7)
		ON CONFLICT (holder) DO UPDATE SET locks = excluded.locks, priority = excluded.priority,
		created = excluded.created, seq = excluded.seq, enqueued = excluded.enqueued, template = excluded.template`,
		w.Holder, string(locks), w.Priority, w.Created.UnixNano(), int64(w.Seq), w.Enqueued.UnixNano(), w.Template)
	return nil
}

func (t *txn) DeleteWaiter(ctx context.Context, holder string) error {
	if err := t.changeLocks(ctx); err != nil {
		return err
	}
	t.later("dequeue waiter "+holder, `DELETE FROM lock_waiters WHERE holder = $1`, holder)
	return nil
}

// NextLockSeq takes numbers from memory after a claim: the claim read
// the last one under the generation row's lock, which every taker of a
// number holds, and the flush before the transaction's next statement
// or commit stores the last one taken. A transaction that did not claim
// takes that row lock first, without raising the generation (taking a
// number is not a change), so that it never hands out a number a
// claimed transaction has in memory.
func (t *txn) NextLockSeq(ctx context.Context) (uint64, error) {
	if t.seqHeld {
		t.seq++
		t.seqDirty = true
		return uint64(t.seq), nil
	}
	var v int64
	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM lock_generation WHERE id = 1 FOR NO KEY UPDATE`)
	b.Queue(`INSERT INTO lock_meta (name, value) VALUES ('next_seq', 1)
		ON CONFLICT (name) DO UPDATE SET value = lock_meta.value + 1 RETURNING value`).QueryRow(func(row pgx.Row) error {
		return row.Scan(&v)
	})
	err := t.batch(ctx, "take a lock sequence number", b)
	return uint64(v), err
}

// storeSeq queues the write of the last sequence number taken from
// memory, for the flush.
func (t *txn) storeSeq() {
	if !t.seqDirty {
		return
	}
	t.seqDirty = false
	t.later("store the last lock sequence number", `INSERT INTO lock_meta (name, value) VALUES ('next_seq', $1)
		ON CONFLICT (name) DO UPDATE SET value = GREATEST(lock_meta.value, excluded.value)`, t.seq)
}

// LoadLocks reads the four tables in one round trip: a manager on
// another node rebuilds from them inside its claim, while every other
// node's lock decisions wait for it.
func (t *txn) LoadLocks(ctx context.Context) (*store.LockState, error) {
	const what = "read the lock state"
	st := &store.LockState{Holds: map[string][]domain.Token{}, HoldInfo: map[string]store.HoldInfo{}}
	// A stored value this version cannot read is not a failed
	// statement: the transaction lives on, so it is kept apart.
	var bad error
	var next int64
	b := &pgx.Batch{}
	b.Queue(`SELECT key, lim, fence FROM locks ORDER BY key`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var l store.LockInfo
			var fence int64
			if err := rows.Scan(&l.Key, &l.Limit, &fence); err != nil {
				return err
			}
			l.Fence = uint64(fence)
			st.Locks = append(st.Locks, l)
		}
		return rows.Err()
	})
	b.Queue(`SELECT holder, lock_key, token, template, since FROM lock_holds ORDER BY holder, lock_key`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var holder string
			var tok domain.Token
			var v, since int64
			var info store.HoldInfo
			if err := rows.Scan(&holder, &tok.Lock, &v, &info.Template, &since); err != nil {
				return err
			}
			tok.Value = uint64(v)
			st.Holds[holder] = append(st.Holds[holder], tok)
			if since != 0 {
				info.Since = time.Unix(0, since)
			}
			if info != (store.HoldInfo{}) {
				st.HoldInfo[holder] = info
			}
		}
		return rows.Err()
	})
	b.Queue(`SELECT lock_key, template, digest FROM lock_stats ORDER BY lock_key, template`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var hs store.HoldStats
			if err := rows.Scan(&hs.Lock, &hs.Template, &hs.Digest); err != nil {
				return err
			}
			st.Stats = append(st.Stats, hs)
		}
		return rows.Err()
	})
	b.Queue(`SELECT holder, locks, priority, created, seq, enqueued, template FROM lock_waiters
		ORDER BY priority DESC, created, seq`).Query(func(rows pgx.Rows) error {
		// Waiters mostly share a few lock lists: each distinct one is
		// decoded once, and shared (capped, so an append copies it).
		// A rebuild reads every waiter of every lock, so this is most of
		// its decoding.
		lists := map[string][]string{}
		var locks []byte
		for rows.Next() {
			var w domain.QueuedWaiter
			var created, seq, enq int64
			if err := rows.Scan(&w.Holder, &locks, &w.Priority, &created, &seq, &enq, &w.Template); err != nil {
				return err
			}
			if l, ok := lists[string(locks)]; ok {
				w.Locks = l
			} else if err := json.Unmarshal(locks, &w.Locks); err != nil {
				if bad == nil {
					bad = fmt.Errorf("waiter %s: stored locks: %w", w.Holder, err)
				}
			} else {
				w.Locks = w.Locks[:len(w.Locks):len(w.Locks)]
				lists[string(locks)] = w.Locks
			}
			w.Created, w.Seq, w.Enqueued = time.Unix(0, created), uint64(seq), time.Unix(0, enq)
			st.Waiters = append(st.Waiters, w)
		}
		return rows.Err()
	})
	// No next_seq row yet is 0: no sequence number was taken.
	b.Queue(lastSeq).QueryRow(func(row pgx.Row) error {
		return row.Scan(&next)
	})
	if err := t.batch(ctx, what, b); err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	st.NextSeq = uint64(next) + 1
	return st, nil
}
