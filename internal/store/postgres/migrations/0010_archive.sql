-- The workflow archive: a copy of each workflow taken when it ended,
-- kept after the live row is deleted (by a user or its ttlStrategy) and
-- removed by the archive's own retention (--archive-ttl). The document
-- has no nodes, so a list reads only it; a get adds the nodes.
CREATE TABLE archived_workflows (
    uid         TEXT COLLATE "C" PRIMARY KEY,
    namespace   TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    phase       TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,   -- unix ns
    finished_at BIGINT NOT NULL,   -- unix ns; 0 when unknown
    doc         BYTEA NOT NULL,    -- the workflow without status.nodes
    nodes       BYTEA NOT NULL     -- status.nodes
);
CREATE INDEX archived_workflows_created ON archived_workflows (created_at DESC, uid DESC);
CREATE INDEX archived_workflows_finished ON archived_workflows (finished_at);

-- Labels of archived workflows, one row each, for the label keys and
-- values endpoints.
CREATE TABLE archived_workflow_labels (
    uid   TEXT COLLATE "C" NOT NULL REFERENCES archived_workflows (uid) ON DELETE CASCADE,
    key   TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (uid, key)
);
CREATE INDEX archived_workflow_labels_key ON archived_workflow_labels (key, value);
