-- When each hold began (unix ns), for the Locks page's "since" and hold
-- times that survive a restart; 0 for holds taken before this column.
ALTER TABLE lock_holds ADD COLUMN since BIGINT NOT NULL DEFAULT 0;
