-- Engine sessions (etcd's session and lease are the model): one row per
-- engine that uses the database, its lease renewed while it lives. A
-- session whose lease expired is taken over, and what it owned (workflows,
-- lock holds) becomes the new session's.
CREATE TABLE sessions (
    id      TEXT COLLATE "C" PRIMARY KEY,
    kind    TEXT COLLATE "C" NOT NULL,
    host    TEXT COLLATE "C" NOT NULL,
    pid     INTEGER NOT NULL,
    process TEXT COLLATE "C" NOT NULL DEFAULT '',  -- "pid starttime bootid": tells a reused pid apart
    addr    TEXT COLLATE "C" NOT NULL DEFAULT '',  -- where a server listens
    started BIGINT NOT NULL,           -- unix ns
    expires BIGINT NOT NULL            -- end of the lease, unix ns
);

-- The owning session; '' for rows written by no session.
ALTER TABLE workflows ADD COLUMN session TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX workflows_session ON workflows (session, phase);
ALTER TABLE lock_holds ADD COLUMN session TEXT COLLATE "C" NOT NULL DEFAULT '';
