package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// Transactions of several nodes run at once here, so the session
// contract (store.SessionTx) rests on row locks: BindSession locks its
// session's row shared until the transaction ends, and TakeOver and
// CloseSession delete rows, which locks them exclusively. A bound write
// thus commits before a takeover of its session, or fails with
// ErrSessionLost after it.

func (t *txn) OpenSession(ctx context.Context, s store.Session) error {
	// ON CONFLICT keeps the transaction alive for a caller that goes on
	// after ErrExists.
	tag, err := t.exec(ctx, "record session "+s.ID, `INSERT INTO sessions (id, kind, node, host, pid, process, addr, started, expires)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
		s.ID, s.Kind, s.Node, s.Host, s.PID, s.Process, s.Addr, s.Started.UnixNano(), s.Expires.UnixNano())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session %s: %w", s.ID, store.ErrExists)
	}
	return nil
}

func (t *txn) ListSessions(ctx context.Context) ([]store.Session, error) {
	const what = "list sessions"
	rows, err := t.query(ctx, what, `SELECT id, kind, node, host, pid, process, addr, started, expires FROM sessions ORDER BY started, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		var s store.Session
		var started, expires int64
		if err := rows.Scan(&s.ID, &s.Kind, &s.Node, &s.Host, &s.PID, &s.Process, &s.Addr, &started, &expires); err != nil {
			return nil, t.fail(ctx, what, err)
		}
		s.Started, s.Expires = time.Unix(0, started), time.Unix(0, expires)
		out = append(out, s)
	}
	return out, t.fail(ctx, what, rows.Err())
}

func (t *txn) RenewSession(ctx context.Context, id string, expires time.Time) error {
	tag, err := t.exec(ctx, "renew the lease of session "+id, `UPDATE sessions SET expires = $1 WHERE id = $2`, expires.UnixNano(), id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session %s: %w", id, store.ErrSessionLost)
	}
	return nil
}

func (t *txn) CloseSession(ctx context.Context, id string) error {
	_, err := t.exec(ctx, "remove session "+id, `DELETE FROM sessions WHERE id = $1`, id)
	return err
}

// TakeOver first takes an advisory lock that serialises takeovers: the
// workflows of sessions no longer recorded are picked by a subquery, and
// at READ COMMITTED a statement that waited for another takeover's row
// locks would recheck those rows against sessions as they were when it
// began, without the other's new session, and take its workflows again.
// After the lock, each statement sees every earlier takeover committed.
// The sessions it deletes are those still recorded (DELETE ... RETURNING:
// one that another handle removed meanwhile is not this one's).
func (t *txn) TakeOver(ctx context.Context, to string, old []store.Session) ([]string, error) {
	what := "take over for session " + to
	if _, err := t.exec(ctx, what+": wait for other takeovers", `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, takeOverLock); err != nil {
		return nil, err
	}
	ids, ends := make([]string, len(old)), make([]int64, len(old))
	for i, o := range old {
		ids[i], ends[i] = o.ID, o.Expires.UnixNano()
	}
	// Not a session that renewed since the caller read it: the DELETE
	// re-checks expires on the newest version of a row another
	// transaction changed meanwhile.
	rows, err := t.query(ctx, what, `DELETE FROM sessions s USING unnest($1::text[], $2::bigint[]) AS o(id, ends)
		WHERE s.id = o.id AND s.expires <= o.ends RETURNING s.id`, ids, ends)
	if err != nil {
		return nil, err
	}
	removed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, t.fail(ctx, what, err)
	}
	// Finished workflows keep the session that ran them: rewriting the
	// whole history at every start would cost more than it tells.
	rows, err = t.query(ctx, what, `UPDATE workflows SET session = $1 WHERE phase = ANY($2)
		AND (session = ANY($3) OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = workflows.session)) RETURNING uid`,
		to, []string{"", wfv1.PhasePending, wfv1.PhaseRunning}, removed)
	if err != nil {
		return nil, err
	}
	moved, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, t.fail(ctx, what, err)
	}
	slices.Sort(moved)
	if _, err := t.exec(ctx, what+": move lock holds", `UPDATE lock_holds SET session = $1
		WHERE session = ANY($2) OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = lock_holds.session)`, to, removed); err != nil {
		return nil, err
	}
	return moved, nil
}

// BindSession locks the session's row FOR KEY SHARE: the shared lock that
// a DELETE (TakeOver, CloseSession) waits for, but the UPDATE of a lease
// renewal does not, so that an engine's renewals never queue behind its
// own transactions.
func (t *txn) BindSession(ctx context.Context, id string) error {
	var one int
	err := t.one(ctx, "bind session "+id, `SELECT 1 FROM sessions WHERE id = $1 FOR KEY SHARE`, []any{id}, &one)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("session %s: %w", id, store.ErrSessionLost)
	}
	if err != nil {
		return err
	}
	t.session = id
	return nil
}
