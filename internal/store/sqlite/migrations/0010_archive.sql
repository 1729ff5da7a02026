-- The workflow archive: a copy of each workflow taken when it ended,
-- kept after the live row is deleted (by a user or its ttlStrategy) and
-- removed by the archive's own retention (--archive-ttl). The document
-- has no nodes, so a list reads only it; a get adds the nodes.
CREATE TABLE archived_workflows (
    uid         TEXT PRIMARY KEY,
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    phase       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,   -- unix ns
    finished_at INTEGER NOT NULL,   -- unix ns; 0 when unknown
    doc         BLOB NOT NULL,      -- the workflow without status.nodes
    nodes       BLOB NOT NULL       -- status.nodes
);
CREATE INDEX archived_workflows_created ON archived_workflows (created_at DESC, uid DESC);
CREATE INDEX archived_workflows_finished ON archived_workflows (finished_at);

-- Labels of archived workflows, one row each, for the label keys and
-- values endpoints.
CREATE TABLE archived_workflow_labels (
    uid   TEXT NOT NULL REFERENCES archived_workflows (uid) ON DELETE CASCADE,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (uid, key)
);
CREATE INDEX archived_workflow_labels_key ON archived_workflow_labels (key, value);
