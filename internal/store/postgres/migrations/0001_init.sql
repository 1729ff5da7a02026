-- Workflows, their nodes, histories, logs and other objects. Documents are
-- kept as bytes (bytea), exactly as written: a list splices a workflow's
-- status into its document without decoding either. Text sorts and
-- compares byte by byte (COLLATE "C"), as in SQLite, whatever the
-- database's locale: lists come in the same order on either driver.
CREATE TABLE workflows (
    uid        TEXT COLLATE "C" PRIMARY KEY,
    namespace  TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    phase      TEXT COLLATE "C" NOT NULL DEFAULT '',
    priority   INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,      -- unix ns
    doc        BYTEA NOT NULL,       -- the workflow without status.nodes
    status     BYTEA,                -- newer status than doc's, when set
    UNIQUE (namespace, name)
);
CREATE INDEX workflows_created ON workflows (created_at DESC, uid DESC);

CREATE TABLE nodes (
    workflow_uid TEXT COLLATE "C" NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    id           TEXT COLLATE "C" NOT NULL,
    phase        TEXT COLLATE "C" NOT NULL DEFAULT '',
    doc          BYTEA NOT NULL,
    PRIMARY KEY (workflow_uid, id)
);

CREATE TABLE events (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_uid TEXT COLLATE "C" NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    node_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    at           BIGINT NOT NULL,
    type         TEXT COLLATE "C" NOT NULL,
    message      TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX events_workflow ON events (workflow_uid, seq);

CREATE TABLE objects (
    kind       TEXT COLLATE "C" NOT NULL,
    namespace  TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    doc        BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
);

CREATE TABLE logs (
    workflow_uid TEXT COLLATE "C" NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    node_id      TEXT COLLATE "C" NOT NULL,
    path         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (workflow_uid, node_id)
);
