package locks_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// A database mutex and a database semaphore of the same name are two
// locks, as in Argo's database (mtx/ and sem/ rows): the semaphore's
// limit never lets the mutex go to two holders at once (hostile 19 #1).
func TestDatabaseMutexIsNotTheSemaphoreOfItsName(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := locks.New(lockq.Config{}, cmSet{})
	if _, err := m.Load(ctx, db, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	mutex := spec.LockKeys(&wfv1.Synchronization{Mutexes: []*wfv1.Mutex{{Name: "x", Database: true}}}, "default")
	sem := spec.LockKeys(&wfv1.Synchronization{Semaphores: []*wfv1.SemaphoreRef{{Database: &wfv1.SyncDatabaseRef{Key: "x"}}}}, "default")
	if mutex[0].Key == sem[0].Key {
		t.Fatalf("database mutex and semaphore x share the key %s", sem[0].Key)
	}
	if err := db.Update(ctx, func(tx store.Tx) error {
		_, err := m.SetLimit(ctx, tx, sem[0].Key, 3, time.Unix(1000, 0))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var reqs []locks.Request
	for _, h := range []string{"default/m1", "default/m2", "default/m3"} {
		reqs = append(reqs, locks.Request{Holder: h, Locks: mutex, Created: time.Unix(1, 0)})
	}
	for _, h := range []string{"default/s1", "default/s2", "default/s3"} {
		reqs = append(reqs, locks.Request{Holder: h, Locks: sem, Created: time.Unix(2, 0)})
	}
	res := apply(t, db, m, reqs, nil)
	if got := strings.Join(holders(res.Grants), " "); got != "default/m1 default/s1 default/s2 default/s3" {
		t.Fatalf("granted %s; want the mutex once and the semaphore three times", got)
	}
	// The mutex's limit cannot be set: it is always 1.
	err = db.Update(ctx, func(tx store.Tx) error {
		_, err := m.SetLimit(ctx, tx, mutex[0].Key, 5, time.Unix(1001, 0))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "mutex") {
		t.Fatalf("setting a database mutex's limit: %v", err)
	}
}

// A database semaphore whose limit was never set fails what asks for it
// with a message naming the lock and how to set its limit.
func TestDatabaseSemaphoreWithoutLimitSaysHowToSetIt(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := locks.New(lockq.Config{}, cmSet{})
	if _, err := m.Load(ctx, db, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	sem := spec.LockKeys(&wfv1.Synchronization{Semaphores: []*wfv1.SemaphoreRef{{Database: &wfv1.SyncDatabaseRef{Key: "none"}}}}, "default")
	res := apply(t, db, m, []locks.Request{{Holder: "default/a", Locks: sem}}, nil)
	msg := res.Failed["default/a"]
	if !strings.Contains(msg, "default/Database/none") || !strings.Contains(msg, "semaflow sync set default/Database/none N") {
		t.Fatalf("failure message %q; want the lock and how to set its limit", msg)
	}
}
