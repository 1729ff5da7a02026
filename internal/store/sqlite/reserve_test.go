package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/diskroom"
	"github.com/semaflow/semaflow/internal/store"
)

// The database keeps room beside it for the writes that let work end on
// a full disk: it is given back once on request, and taken again by a
// later write once the disk has room.
func TestReserveIsReleasedOnceAndTakenBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	room, ok := diskroom.Of(filepath.Dir(path))
	if !ok {
		t.Skip("free space cannot be measured here")
	}
	want := int64(diskroom.Reserve(room.Size))
	if got := allocated(path + "-reserve"); got < want {
		t.Skipf("the reserve holds %d bytes, want %d: this disk has too little room to keep one", got, want)
	}
	freed, where := db.ReleaseReserve()
	if freed < want || where != path+"-reserve" {
		t.Fatalf("ReleaseReserve() = %d, %q; want %d bytes at %s", freed, where, want, path+"-reserve")
	}
	if freed, _ := db.ReleaseReserve(); freed != 0 {
		t.Fatalf("a second release freed %d bytes: there was nothing left to give", freed)
	}
	deadline := time.Now().Add(10 * time.Second)
	for allocated(path+"-reserve") < want {
		if time.Now().After(deadline) {
			t.Fatal("the reserve was not taken back by later writes on a disk with room")
		}
		if err := db.Update(ctx, func(store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
