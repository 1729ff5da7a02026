package cli

import (
	"slices"
	"strings"
	"testing"
)

// The namespaces after a token may be split by commas, spaces or both;
// each is one namespace, never two glued into a third.
func TestTokenLineNamespaces(t *testing.T) {
	for line, want := range map[string][]string{
		"tok team-a,team-b":   {"team-a", "team-b"},
		"tok team-a, team-b":  {"team-a", "team-b"},
		"tok team-a team-b":   {"team-a", "team-b"},
		"Bearer tok team-a":   {"team-a"},
		"tok":                 nil,
		"bearer tok ,team-a,": {"team-a"},
	} {
		tok, err := parseTokenLine(strings.Fields(line))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if tok.Value != "tok" || !slices.Equal(tok.Namespaces, want) {
			t.Errorf("%q: token %q namespaces %v, want tok %v", line, tok.Value, tok.Namespaces, want)
		}
	}
	if _, err := parseTokenLine([]string{"tok", "Team_A"}); err == nil {
		t.Error("a namespace that is not a DNS-1123 label was accepted")
	}
}
