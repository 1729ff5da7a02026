package sqlite

import (
	"context"
	"time"

	"github.com/semaflow/semaflow/internal/store"
)

// sessionsVersion is the migration that made the sessions table.
const sessionsVersion = 3

// checkNoLiveSession refuses pending migrations while an engine holds
// the database: it runs the older semaflow's statements, which a
// migration may break under it (0012 moved a column it writes at every
// commit), and it would then lose its store mid-run. A new database, or
// one whose sessions all ended, is migrated as before. live nil: no
// check (tests, tools that open a file nobody else can hold).
func (s *DB) checkNoLiveSession(ctx context.Context, list []store.Migration, applied map[int]bool, live func(store.Session) bool) error {
	if live == nil || !applied[sessionsVersion] {
		return nil
	}
	var pending *store.Migration
	for i := range list {
		if !applied[list[i].Version] {
			pending = &list[i]
			break
		}
	}
	if pending == nil {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, host, pid, process, started, expires FROM sessions WHERE expires > ?`, time.Now().UnixNano())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o store.Session
		var started, expires int64
		if err := rows.Scan(&o.ID, &o.Kind, &o.Host, &o.PID, &o.Process, &started, &expires); err != nil {
			return err
		}
		o.Started, o.Expires = time.Unix(0, started), time.Unix(0, expires)
		if live(o) {
			return &MigrationBlockedError{Path: s.path, Migration: pending.Name, Session: o}
		}
	}
	return rows.Err()
}
