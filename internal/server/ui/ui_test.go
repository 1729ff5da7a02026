package ui

import "testing"

// The server runs without its UI if the templates fail to parse; this
// catches that before it ships.
func TestTemplatesParse(t *testing.T) {
	u, err := New("test")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"workflows", "workflow", "crons", "cron", "templates", "template", "locks", "login"} {
		if u.pages[p] == nil {
			t.Errorf("no page %s", p)
		}
	}
}
