-- Lock state, written in the same transaction as the workflow change that
-- causes it, and read back on start to rebuild the queues before any grant.
CREATE TABLE locks (
    key   TEXT COLLATE "C" PRIMARY KEY,
    lim   INTEGER NOT NULL,
    fence BIGINT NOT NULL DEFAULT 0   -- last fencing token handed out; never goes back
);

CREATE TABLE lock_holds (
    holder   TEXT COLLATE "C" NOT NULL,
    lock_key TEXT COLLATE "C" NOT NULL,
    token    BIGINT NOT NULL,
    PRIMARY KEY (holder, lock_key)
);

CREATE TABLE lock_waiters (
    holder   TEXT COLLATE "C" PRIMARY KEY,
    locks    TEXT COLLATE "C" NOT NULL,            -- JSON list of lock keys
    priority INTEGER NOT NULL,
    created  BIGINT NOT NULL,          -- workflow creation time, unix ns
    seq      BIGINT NOT NULL,          -- enqueue sequence: the last tie-breaker
    enqueued BIGINT NOT NULL
);

CREATE TABLE lock_meta (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BIGINT NOT NULL
);
