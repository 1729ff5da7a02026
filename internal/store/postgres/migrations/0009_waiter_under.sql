-- The holder keys of the nodes each waiter runs under (JSON list), for
-- the deadlock detector of another engine or of the next one after a
-- restart; '[]' for waiters queued before this column.
ALTER TABLE lock_waiters ADD COLUMN under_nodes TEXT NOT NULL DEFAULT '[]';
