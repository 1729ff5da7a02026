-- A node's children and outbound nodes, kept apart from its row once
-- they are long (the DAG or loop above a thousand steps): each of its
-- frequent writes (phase, progress) then rewrites a small row, and the
-- lists only when they changed. apart says the node's are here; a row
-- here of a node that is not apart is stale and never read.
ALTER TABLE nodes ADD COLUMN apart INTEGER NOT NULL DEFAULT 0;
CREATE TABLE node_links (
    workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    links        BLOB NOT NULL,  -- encodeLinks (nodes.go)
    PRIMARY KEY (workflow_uid, id)
);
