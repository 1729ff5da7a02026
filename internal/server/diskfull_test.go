package server_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/testkit"
)

// A write refused for lack of space answers 507 with Argo's error body
// saying so and naming the database, not 500.
func TestAPIAnswers507OnAFullDisk(t *testing.T) {
	eng, fs, _ := testkit.StartFullEngine(t)
	ts := httptest.NewServer(server.New(eng).Handler())
	defer ts.Close()
	c := &apiClient{t: t, base: ts.URL}
	fs.Full.Store(true)
	body := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "late"},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}`
	code, out := c.do("POST", "/api/v1/workflows/default", body)
	msg := fmt.Sprint(out["message"])
	if code != 507 || out["code"] != float64(8) || !strings.Contains(msg, "the disk is full") || !strings.Contains(msg, "/data/sf.db") {
		t.Fatalf("submit on a full disk: %d %v; want 507, code 8, a message saying the disk is full and naming /data/sf.db", code, out)
	}
	fs.Full.Store(false)
	if code, out := c.do("POST", "/api/v1/workflows/default", body); code != 200 {
		t.Fatalf("submit once space returned: %d %v", code, out)
	}
}
