package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run and server refuse a node name that is not a DNS-1123 label, naming
// the flag, before they touch a database.
func TestNodeNameFlagChecked(t *testing.T) {
	for _, verb := range [][]string{{"run", "x.yaml"}, {"server", "--addr", "127.0.0.1:0"}} {
		for _, bad := range []string{"Bad_Name", strings.Repeat("n", 64)} {
			db := filepath.Join(t.TempDir(), "db")
			var out, errOut bytes.Buffer
			args := append(append([]string{}, verb...), "--db", db, "--node-name", bad)
			code := Execute(args, &out, &errOut, func(string) string { return "" })
			if code == 0 || !strings.Contains(errOut.String(), "--node-name") {
				t.Errorf("%v: exit %d, stderr %q; want a refusal naming --node-name", args, code, errOut.String())
			}
			if !strings.Contains(errOut.String(), "DNS-1123") && !strings.Contains(errOut.String(), "63") {
				t.Errorf("%v: %q does not say what a node name must be", args, errOut.String())
			}
			if _, err := os.Stat(db); err == nil {
				t.Errorf("%v: created the database before refusing", args)
			}
		}
	}
}
