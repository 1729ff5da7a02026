package sqlite

import (
	"context"
	"database/sql"
	"strings"
)

// The statements every step or lock decision runs. modernc's sqlite
// parses and plans a statement each time it is run by text; these are
// prepared once per handle (prepareHot) and only bound and stepped in
// each transaction, which took parsing out of a commit's cost.
const (
	sqlPutStatus = `UPDATE workflows SET phase = ?, status = ? WHERE uid = ?`
	// The owner is set apart (sqlTakeWorkflow), and only when the owner
	// it returns is another: SQLite rewrites the entry of every index on
	// a column an UPDATE sets, changed or not, and workflows_session is
	// on session (a page per whole write).
	sqlPutWorkflow  = `UPDATE workflows SET phase = ?, priority = ?, status = ? WHERE uid = ? RETURNING session`
	sqlTakeWorkflow = `UPDATE workflows SET session = ? WHERE uid = ?`
	// The document is written only when it changed: most whole writes
	// change a label or the status, and the spec is the bulk of it.
	sqlPutDoc         = `UPDATE workflow_docs SET doc = ?1 WHERE uid = ?2 AND doc <> ?1`
	sqlCreateWorkflow = `INSERT INTO workflows (uid, namespace, name, phase, priority, created_at, status, session) VALUES (?,?,?,?,?,?,?,?)`
	sqlCreateDoc      = `INSERT INTO workflow_docs (uid, doc) VALUES (?,?)`
	sqlPutNode        = `INSERT INTO nodes (workflow_uid, id, phase, doc, apart) VALUES (?,?,?,?,?)
		ON CONFLICT (workflow_uid, id) DO UPDATE SET phase = excluded.phase, doc = excluded.doc, apart = excluded.apart`
	// Unchanged links are not written again: the WHERE leaves the row,
	// and its pages, as they are.
	sqlPutLinks = `INSERT INTO node_links (workflow_uid, id, links) VALUES (?,?,?)
		ON CONFLICT (workflow_uid, id) DO UPDATE SET links = excluded.links WHERE links <> excluded.links`
	sqlDeleteNode  = `DELETE FROM nodes WHERE workflow_uid = ? AND id = ?`
	sqlDeleteLinks = `DELETE FROM node_links WHERE workflow_uid = ? AND id = ?`
	// A node's links are read only when it says they are apart: a row of
	// node_links of a node whose links shrank since is stale.
	sqlNodesOf = `SELECT n.doc, l.links FROM nodes n
		LEFT JOIN node_links l ON n.apart = 1 AND l.workflow_uid = n.workflow_uid AND l.id = n.id
		WHERE n.workflow_uid = ?`
	sqlPutLog = `INSERT INTO logs (workflow_uid, node_id, path) VALUES (?,?,?)
		ON CONFLICT (workflow_uid, node_id) DO UPDATE SET path = excluded.path`
	sqlClaimLocks = `UPDATE lock_generation SET prev_writer = writer, counter = counter + 1, writer = ?
		WHERE id = 1 RETURNING counter - 1, prev_writer`
	sqlChangeLocks = `UPDATE lock_generation SET counter = counter + 1, writer = '' WHERE id = 1`
	sqlPutFence    = `UPDATE locks SET fence = MAX(fence, ?) WHERE key = ?`
	sqlPutHold     = `INSERT INTO lock_holds (holder, lock_key, token, session, since, template) VALUES (?,?,?,?,?,?)
			ON CONFLICT (holder, lock_key) DO UPDATE SET token = excluded.token, session = excluded.session`
	sqlPutHoldStats = `INSERT INTO lock_stats (lock_key, template, digest) VALUES (?,?,?)
		ON CONFLICT (lock_key, template) DO UPDATE SET digest = excluded.digest`
	sqlDeleteHold = `DELETE FROM lock_holds WHERE holder = ?`
	sqlPutWaiter  = `INSERT INTO lock_waiters (holder, locks, priority, created, seq, enqueued, under_nodes, template) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (holder) DO UPDATE SET locks = excluded.locks, priority = excluded.priority,
		created = excluded.created, seq = excluded.seq, enqueued = excluded.enqueued, under_nodes = excluded.under_nodes, template = excluded.template`
	sqlDeleteWaiter = `DELETE FROM lock_waiters WHERE holder = ?`
	sqlNextLockSeq  = `INSERT INTO lock_meta (name, value) VALUES ('next_seq', 1)
		ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`
	sqlArchive = `INSERT INTO archived_workflows (uid, namespace, name, phase, created_at, finished_at, doc, nodes)
		VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (uid) DO UPDATE SET namespace = excluded.namespace, name = excluded.name,
		phase = excluded.phase, created_at = excluded.created_at, finished_at = excluded.finished_at,
		doc = excluded.doc, nodes = excluded.nodes`
	sqlArchiveUnlabel   = `DELETE FROM archived_workflow_labels WHERE uid = ?`
	sqlGetWorkflow      = `SELECT d.doc, w.status FROM workflows w JOIN workflow_docs d ON d.uid = w.uid WHERE w.namespace = ? AND w.name = ?`
	sqlGetWorkflowByUID = `SELECT d.doc, w.status FROM workflows w JOIN workflow_docs d ON d.uid = w.uid WHERE w.uid = ?`
	sqlBindSession      = `SELECT 1 FROM sessions WHERE id = ?`
	sqlRenew            = `UPDATE sessions SET expires = ? WHERE id = ?`
)

// eventsPerInsert is the most events one INSERT writes: a commit's
// events (a step's launch and exit, lock history, the workflow's end)
// go in one statement, not one each.
const eventsPerInsert = 8

// labelsPerInsert is the most archived labels one INSERT writes.
const labelsPerInsert = 8

// sqlArchiveLabels[n] inserts n labels of an archived workflow.
var sqlArchiveLabels = func() (q [labelsPerInsert + 1]string) {
	for n := 1; n <= labelsPerInsert; n++ {
		q[n] = `INSERT INTO archived_workflow_labels (uid, key, value) VALUES (?,?,?)` + strings.Repeat(`,(?,?,?)`, n-1)
	}
	return q
}()

// sqlAppendEvents[n] inserts n events.
var sqlAppendEvents = func() (q [eventsPerInsert + 1]string) {
	for n := 1; n <= eventsPerInsert; n++ {
		q[n] = `INSERT INTO events (workflow_uid, node_id, at, type, message) VALUES (?,?,?,?,?)` + strings.Repeat(`,(?,?,?,?,?)`, n-1)
	}
	return q
}()

var hotSQL = append(append([]string{
	sqlPutStatus, sqlPutWorkflow, sqlTakeWorkflow, sqlPutDoc, sqlCreateWorkflow, sqlCreateDoc, sqlPutNode, sqlPutLinks, sqlDeleteNode, sqlDeleteLinks, sqlNodesOf, sqlGetWorkflow, sqlGetWorkflowByUID, sqlPutLog,
	sqlClaimLocks, sqlChangeLocks, sqlPutFence, sqlPutHold, sqlPutHoldStats, sqlDeleteHold, sqlPutWaiter,
	sqlDeleteWaiter, sqlNextLockSeq, sqlBindSession, sqlRenew, sqlArchive, sqlArchiveUnlabel,
}, sqlAppendEvents[1:]...), sqlArchiveLabels[1:]...)

// prepareHot prepares hotSQL on the handle, before any transaction can
// hold its one connection (database/sql prepares a handle's statement on
// a free connection, and a transaction keeps the only one). A statement
// that fails to prepare is left out: it then runs by text, as before.
func (s *DB) prepareHot(ctx context.Context) {
	s.hot = make(map[string]*sql.Stmt, len(hotSQL))
	for _, q := range hotSQL {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		s.hot[q] = st
	}
}

// closeHot closes the prepared statements before the handle's
// connections close.
func (s *DB) closeHot() {
	for _, st := range s.hot {
		_ = st.Close()
	}
}

// stmt is q prepared for this transaction, or nil when q is not hot.
// database/sql reuses the statement prepared on the transaction's
// connection (prepares it there only if the connection was replaced)
// and releases the transaction's use of it when the transaction ends.
// Each statement is taken once per transaction: a commit of many nodes
// binds and steps the same one.
func (t *txn) stmt(ctx context.Context, q string) *sql.Stmt {
	st, ok := t.db.hot[q]
	if !ok {
		return nil
	}
	if ts, ok := t.stmts[st]; ok {
		return ts
	}
	if t.stmts == nil {
		t.stmts = make(map[*sql.Stmt]*sql.Stmt, 4)
	}
	ts := t.tx.StmtContext(ctx, st)
	t.stmts[st] = ts
	return ts
}
