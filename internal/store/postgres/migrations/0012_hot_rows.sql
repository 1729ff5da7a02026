-- SQLite's 0012 moves the workflow document out of the row each commit
-- updates and rebuilds small tables to write fewer pages per commit.
-- PostgreSQL keeps a large document out of line (TOAST) and does not
-- rewrite it when another column changes: nothing to change. This file
-- keeps the two drivers' migrations number for number.
SELECT 1;
