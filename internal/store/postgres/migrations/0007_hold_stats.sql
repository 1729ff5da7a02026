-- Hold-time history for start estimates (internal/eta): one digest per
-- lock and template ('' is every hold of the lock), written in the
-- transaction that ends a hold. A hold records when it began and the
-- template that took it, and a waiter its template, so a restarted
-- engine keeps holders' elapsed times and whose history applies.
CREATE TABLE lock_stats (
    lock_key TEXT COLLATE "C" NOT NULL,
    template TEXT COLLATE "C" NOT NULL,
    digest   TEXT NOT NULL,          -- eta.Digest's text form
    PRIMARY KEY (lock_key, template)
);
ALTER TABLE lock_holds ADD COLUMN template TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE lock_holds ADD COLUMN since BIGINT NOT NULL DEFAULT 0;  -- unix ns; 0: unknown (older rows)
ALTER TABLE lock_waiters ADD COLUMN template TEXT COLLATE "C" NOT NULL DEFAULT '';
