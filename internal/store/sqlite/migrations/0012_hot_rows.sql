-- Fewer pages written by each commit (every page a commit changes is one
-- frame appended to the WAL, the largest part of a commit's cost).
--
-- A workflow's document (metadata and spec: 50 KB for a DAG of 1,000
-- tasks) moves to a table of its own. Each step's commit updates the
-- workflow's status, and SQLite rewrites a whole row to change one
-- column: it read the document's overflow pages back and, whenever the
-- status changed size, wrote them all again.
CREATE TABLE workflow_docs (
    uid TEXT PRIMARY KEY REFERENCES workflows (uid) ON DELETE CASCADE,
    doc BLOB NOT NULL   -- the workflow without status (wfdoc.Split)
);
INSERT INTO workflow_docs (uid, doc) SELECT uid, doc FROM workflows;
-- DROP COLUMN rewrites the table in place: unlike a DROP TABLE, it
-- deletes no row, so the cascades to nodes and events do not fire.
ALTER TABLE workflows DROP COLUMN doc;
-- Every status write sets the phase, and an index on a column that is
-- set is rewritten even when the value stays: the session's index no
-- longer holds the phase (its queries find few rows per session anyway,
-- and read the phase from the row).
DROP INDEX workflows_session;
CREATE INDEX workflows_session ON workflows (session);

-- Events lose AUTOINCREMENT, which wrote sqlite_sequence at every insert:
-- an INTEGER PRIMARY KEY still gives each new row a seq above every
-- stored one, so each workflow's history keeps its order.
CREATE TABLE events_new (
    seq          INTEGER PRIMARY KEY,
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    node_id      TEXT NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    type         TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT ''
);
INSERT INTO events_new (seq, workflow_uid, node_id, at, type, message)
    SELECT seq, workflow_uid, node_id, at, type, message FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_workflow ON events (workflow_uid, seq);

-- Small rows keyed by their primary key are kept in that key's b-tree
-- alone (WITHOUT ROWID): an insert writes one b-tree, not a table and
-- its key's index.
CREATE TABLE logs_new (
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    node_id      TEXT NOT NULL,
    path         TEXT NOT NULL,
    PRIMARY KEY (workflow_uid, node_id)
) WITHOUT ROWID;
INSERT INTO logs_new (workflow_uid, node_id, path) SELECT workflow_uid, node_id, path FROM logs;
DROP TABLE logs;
ALTER TABLE logs_new RENAME TO logs;

CREATE TABLE archived_workflow_labels_new (
    uid   TEXT NOT NULL REFERENCES archived_workflows (uid) ON DELETE CASCADE,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (uid, key)
) WITHOUT ROWID;
INSERT INTO archived_workflow_labels_new (uid, key, value) SELECT uid, key, value FROM archived_workflow_labels;
DROP TABLE archived_workflow_labels;
ALTER TABLE archived_workflow_labels_new RENAME TO archived_workflow_labels;
CREATE INDEX archived_workflow_labels_key ON archived_workflow_labels (key, value);
