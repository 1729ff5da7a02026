-- Workflows, their nodes, histories, logs and other objects. Documents are
-- kept as bytes (bytea), exactly as written: a list splices a workflow's
-- status into its document without decoding either.
CREATE TABLE workflows (
    uid        TEXT PRIMARY KEY,
    namespace  TEXT NOT NULL,
    name       TEXT NOT NULL,
    phase      TEXT NOT NULL DEFAULT '',
    priority   INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,      -- unix ns
    doc        BYTEA NOT NULL,       -- the workflow without status.nodes
    status     BYTEA,                -- newer status than doc's, when set
    UNIQUE (namespace, name)
);
CREATE INDEX workflows_created ON workflows (created_at DESC, uid DESC);

CREATE TABLE nodes (
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    phase        TEXT NOT NULL DEFAULT '',
    doc          BYTEA NOT NULL,
    PRIMARY KEY (workflow_uid, id)
);

CREATE TABLE events (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    node_id      TEXT NOT NULL DEFAULT '',
    at           BIGINT NOT NULL,
    type         TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_workflow ON events (workflow_uid, seq);

CREATE TABLE objects (
    kind       TEXT NOT NULL,
    namespace  TEXT NOT NULL,
    name       TEXT NOT NULL,
    doc        BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
);

CREATE TABLE logs (
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    node_id      TEXT NOT NULL,
    path         TEXT NOT NULL,
    PRIMARY KEY (workflow_uid, node_id)
);
