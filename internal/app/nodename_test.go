package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// A host name that is not a DNS-1123 label (a macOS "Name.local", upper
// case, longer than 63 bytes) still gives a valid node name by default,
// and two long host names that share their first 63 bytes do not share a
// node name.
func TestNodeNameFromHost(t *testing.T) {
	for host, want := range map[string]string{
		"worker-1":            "worker-1",
		"Johns-MacBook.local": "johns-macbook-local",
		"build_box":           "build-box",
		"-edge-":              "edge",
		"":                    "node",
		"___":                 "node",
	} {
		if got := hostNodeName(host); got != want {
			t.Errorf("host %q: node name %q, want %q", host, got, want)
		}
	}
	long := strings.Repeat("a", 70)
	a, b := hostNodeName(long+".x.example.com"), hostNodeName(long+".y.example.com")
	for _, n := range []string{a, b} {
		if err := spec.ValidNamespace(n); err != nil {
			t.Errorf("node name %q of a long host name: %v", n, err)
		}
	}
	if a == b {
		t.Errorf("two long host names share node name %q", a)
	}
}

// An explicit node name is checked as a DNS-1123 label of at most 63
// bytes; none at all means this host's.
func TestNodeNameChecked(t *testing.T) {
	for _, bad := range []string{"Upper", "under_score", "dot.ted", "-lead", "trail-", strings.Repeat("a", 64), "é"} {
		if err := CheckNodeName(bad); err == nil {
			t.Errorf("node name %q accepted", bad)
		}
	}
	for _, good := range []string{"a", "node-1", strings.Repeat("a", 63)} {
		if err := CheckNodeName(good); err != nil {
			t.Errorf("node name %q: %v", good, err)
		}
	}
	host, _ := os.Hostname()
	if got, err := NodeName(""); err != nil || got != hostNodeName(host) {
		t.Errorf("default node name %q, %v; want %q", got, err, hostNodeName(host))
	}
	if _, err := NodeName("Bad_Name"); err == nil || !strings.Contains(err.Error(), "Bad_Name") {
		t.Errorf("bad node name: %v, want an error quoting it", err)
	}
}

// The node name goes into the engine's session in the store.
func TestNodeNameRecordedInSession(t *testing.T) {
	ctx := context.Background()
	for given, want := range map[string]string{"node-x": "node-x", "": func() string { h, _ := os.Hostname(); return hostNodeName(h) }()} {
		db := filepath.Join(t.TempDir(), "n.db")
		a, err := Start(ctx, Options{DB: db, Self: testkit.Binary(t), NodeName: given})
		if err != nil {
			t.Fatal(err)
		}
		var list []store.Session
		err = a.Store.View(ctx, func(tx store.Tx) error {
			list, err = tx.ListSessions(ctx)
			return err
		})
		_ = a.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Node != want {
			t.Errorf("--node-name %q: sessions %+v, want one of node %q", given, list, want)
		}
	}
	if _, err := Start(ctx, Options{DB: filepath.Join(t.TempDir(), "bad.db"), Self: testkit.Binary(t), NodeName: "Bad"}); err == nil {
		t.Error("an engine started with node name \"Bad\"")
	}
}
