package sqlite

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"time"
)

// SQLite copies the WAL back into the database file (a checkpoint: the
// pages, then an fsync of each file) on the connection whose commit took
// the WAL past wal_autocheckpoint pages, inside that commit's call. Our
// one connection is the engine's writer, so every ~1,000 pages one
// commit, a lock grant or a step's launch among them, waited several
// milliseconds for it: the tail of the lock handoff. A connection of its
// own checkpoints instead, PASSIVE (it never blocks the writer, which
// goes on appending), every checkpointEvery. The writer's own
// autocheckpoint stays, far higher, for a WAL the passive ones cannot
// catch up with or restart.

const (
	checkpointEvery = 250 * time.Millisecond
	// writerCheckpointPages is wal_autocheckpoint on the writer.
	writerCheckpointPages = 10000
	// walKeepBytes is journal_size_limit: the WAL file is cut back to it
	// when it starts over, so a burst the passive checkpoints could not
	// keep up with does not keep up to writerCheckpointPages of disk (40
	// MB) until the database is closed.
	walKeepBytes = 4 << 20
)

// checkpointer runs passive checkpoints until stopped.
type checkpointer struct {
	db     *sql.DB
	ctx    context.Context // ended by close, which a stuck checkpoint heeds
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// startCheckpointer opens its own connection to path.
func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout("+strconv.Itoa(int(checkpointEvery.Milliseconds()))+")")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		// A failure (a full disk, the file busy past the timeout) is
		// the next tick's to retry; the writer's autocheckpoint is the
		// backstop.
		var busy, frames, copied int
		_ = c.db.QueryRowContext(c.ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	}
}

// close stops the checkpoints and closes the connection; again, it does
// nothing.
func (c *checkpointer) close() (err error) {
	c.once.Do(func() {
		c.cancel()
		<-c.done
		err = c.db.Close()
	})
	return err
}
