package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// Every write transaction takes SQLite's write lock at BEGIN (_txlock=
// immediate), so a BindSession and a TakeOver never interleave: the
// store's session contract holds without row locks.

func (t *txn) OpenSession(ctx context.Context, s store.Session) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (id, kind, node, host, pid, process, addr, started, expires) VALUES (?,?,?,?,?,?,?,?,?)`,
		s.ID, s.Kind, s.Node, s.Host, s.PID, s.Process, s.Addr, s.Started.UnixNano(), s.Expires.UnixNano())
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("session %s: %w", s.ID, store.ErrExists)
	}
	return err
}

func (t *txn) ListSessions(ctx context.Context) ([]store.Session, error) {
	rows, err := t.query(ctx, `SELECT id, kind, node, host, pid, process, addr, started, expires FROM sessions ORDER BY started, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		var s store.Session
		var started, expires int64
		if err := rows.Scan(&s.ID, &s.Kind, &s.Node, &s.Host, &s.PID, &s.Process, &s.Addr, &started, &expires); err != nil {
			return nil, err
		}
		s.Started, s.Expires = time.Unix(0, started), time.Unix(0, expires)
		out = append(out, s)
	}
	return out, rows.Err()
}

func (t *txn) RenewSession(ctx context.Context, id string, expires time.Time) error {
	res, err := t.exec(ctx, sqlRenew, expires.UnixNano(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session %s: %w", id, store.ErrSessionLost)
	}
	return nil
}

func (t *txn) CloseSession(ctx context.Context, id string) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return err
}

func (t *txn) TakeOver(ctx context.Context, to string, old []store.Session) ([]string, error) {
	for _, o := range old {
		// Not if it renewed since the caller read it.
		if _, err := t.exec(ctx, `DELETE FROM sessions WHERE id = ? AND expires <= ?`, o.ID, o.Expires.UnixNano()); err != nil {
			return nil, err
		}
	}
	// Finished workflows keep the session that ran them: rewriting the
	// whole history at every start would cost more than it tells.
	rows, err := t.query(ctx, `UPDATE workflows SET session = ? WHERE phase IN (?,?,?)
		AND session NOT IN (SELECT id FROM sessions) RETURNING uid`, to, "", wfv1.PhasePending, wfv1.PhaseRunning)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var moved []string
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return nil, err
		}
		moved = append(moved, uid)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(moved)
	if _, err := t.exec(ctx, `UPDATE lock_holds SET session = ? WHERE session NOT IN (SELECT id FROM sessions)`, to); err != nil {
		return nil, err
	}
	return moved, nil
}

func (t *txn) BindSession(ctx context.Context, id string) error {
	var one int
	err := t.queryRow(ctx, sqlBindSession, id).Scan(&one)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("session %s: %w", id, store.ErrSessionLost)
	}
	if err != nil {
		return err
	}
	t.session = id
	return nil
}
