package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// A negative --since or --older selects nothing, silently: refused
// (hostile 19, LOW).
func TestListRefusesNegativeAges(t *testing.T) {
	r := &remote{server: "http://127.0.0.1:1", getenv: func(string) string { return "" }}
	for _, l := range []*listFlags{{since: -5 * time.Minute}, {older: -time.Hour}} {
		_, err := l.list(&cobra.Command{}, r)
		if err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("%+v: %v; want a refusal saying it is negative", l, err)
		}
	}
}
