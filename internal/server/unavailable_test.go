package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// downStore is a store whose database cannot be reached while down is
// set, as a PostgreSQL server restarting.
type downStore struct {
	store.Store
	down atomic.Bool
}

func (d *downStore) err() error {
	return fmt.Errorf("reading workflows from postgres@db:5432/sf: %w", store.ErrUnavailable)
}

func (d *downStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if d.down.Load() {
		return d.err()
	}
	return d.Store.Update(ctx, fn)
}

func (d *downStore) View(ctx context.Context, fn func(store.Tx) error) error {
	if d.down.Load() {
		return d.err()
	}
	return d.Store.View(ctx, fn)
}

// While the database cannot be reached (or a row lock is held past the
// busy timeout), the API answers 503 with Retry-After and Argo's
// Unavailable code, naming the database: the request was fine and may be
// sent again, which a 500 would not say.
func TestAPIAnswers503WhileTheDatabaseIsDown(t *testing.T) {
	ds := &downStore{Store: testkit.OpenStore(t)}
	eng := testkit.NewEngine(t, ds, nil)
	ts := httptest.NewServer(server.New(eng).Handler())
	defer ts.Close()
	c := &apiClient{t: t, base: ts.URL}
	ds.down.Store(true)
	for _, req := range [][2]string{{"GET", "/api/v1/workflows/default"}, {"GET", "/api/v1/workflows/default/x"}} {
		code, out := c.do(req[0], req[1], "")
		if code != 503 || out["code"] != float64(14) || !strings.Contains(fmt.Sprint(out["message"]), "postgres@db:5432/sf") {
			t.Errorf("%s %s while the database is down: %d %v; want 503, code 14, naming the database", req[0], req[1], code, out)
		}
	}
	resp, err := http.Get(ts.URL + "/api/v1/workflows/default")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on a 503")
	}
	ds.down.Store(false)
	if code, out := c.do("GET", "/api/v1/workflows/default", ""); code != 200 {
		t.Fatalf("list once the database is back: %d %v", code, out)
	}
}
