-- The lock-state generation: one row, raised by every transaction that
-- changes lock state and naming the lock manager that wrote it ('' for a
-- write outside any manager). Its row lock, held from a claim to the end
-- of the transaction, serialises the lock decisions of every node. A
-- manager whose queues were built from another generation rebuilds them
-- from the store before it grants.
CREATE TABLE lock_generation (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    counter BIGINT NOT NULL,
    writer  TEXT COLLATE "C" NOT NULL
);
INSERT INTO lock_generation (id, counter, writer) VALUES (1, 0, '');
