-- The node name of the engine that holds a session (--node-name).
ALTER TABLE sessions ADD COLUMN node TEXT COLLATE "C" NOT NULL DEFAULT '';
