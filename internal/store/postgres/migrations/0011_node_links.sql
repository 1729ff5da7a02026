-- SQLite's 0011 keeps a node's long children and outbound lists in a
-- table apart from its row, so that its frequent writes leave them
-- unwritten. PostgreSQL keeps them in the row as before: nothing to
-- change. This file keeps the two drivers' migrations number for number.
SELECT 1;
