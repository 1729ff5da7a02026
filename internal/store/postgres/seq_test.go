package postgres

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// TestLockSeqNeverRepeats: transactions of two handles take lock
// sequence numbers at once, after a claim (from memory) or without one,
// some of them rolled back, and no number is handed out twice by
// transactions that committed. A claimed transaction's numbers must be
// stored before its COMMIT releases the generation row: stored after,
// the next claim reads a stale last number.
func TestLockSeqNeverRepeats(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	handles := []handle{openTest(t, dsn, Options{}), openTest(t, dsn, Options{})}
	ctx := t.Context()
	var (
		mu   sync.Mutex
		seen = map[uint64]string{}
		wg   sync.WaitGroup
	)
	errRollback := errors.New("rolled back on purpose")
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := handles[w%2]
			for i := range 40 {
				var got []uint64
				err := h.Update(ctx, func(tx store.Tx) error {
					if (w+i)%3 != 0 {
						if _, err := tx.ClaimLocks(ctx, fmt.Sprintf("w%d", w)); err != nil {
							return err
						}
					}
					for range 1 + i%3 {
						v, err := tx.NextLockSeq(ctx)
						if err != nil {
							return err
						}
						got = append(got, v)
					}
					if i%7 == 6 {
						return errRollback
					}
					return nil
				})
				if errors.Is(err, errRollback) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, v := range got {
					if by, ok := seen[v]; ok {
						t.Errorf("lock sequence number %d handed out twice: to %s and to w%d/%d", v, by, w, i)
					}
					seen[v] = fmt.Sprintf("w%d/%d", w, i)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
