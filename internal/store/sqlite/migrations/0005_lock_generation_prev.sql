-- The writer a claim replaced, so a claim is one statement (UPDATE ...
-- RETURNING): SQLite evaluates SET from the old row, and RETURNING reads
-- the new one.
ALTER TABLE lock_generation ADD COLUMN prev_writer TEXT NOT NULL DEFAULT '';
