CREATE TABLE workflows (
    uid        TEXT PRIMARY KEY,
    namespace  TEXT NOT NULL,
    name       TEXT NOT NULL,
    phase      TEXT NOT NULL DEFAULT '',
    priority   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    doc        BLOB NOT NULL,   -- the workflow without status.nodes
    status     BLOB,            -- newer status than doc's, when set
    UNIQUE (namespace, name)
);
CREATE INDEX workflows_created ON workflows (created_at DESC, uid DESC);

CREATE TABLE nodes (
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    phase        TEXT NOT NULL DEFAULT '',
    doc          BLOB NOT NULL,
    PRIMARY KEY (workflow_uid, id)
);

CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    node_id      TEXT NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    type         TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_workflow ON events (workflow_uid, seq);

CREATE TABLE objects (
    kind       TEXT NOT NULL,
    namespace  TEXT NOT NULL,
    name       TEXT NOT NULL,
    doc        BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, namespace, name)
);

CREATE TABLE logs (
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    node_id      TEXT NOT NULL,
    path         TEXT NOT NULL,
    PRIMARY KEY (workflow_uid, node_id)
);
