package ui_test

import (
	"testing"
	"time"
)

// Every page loads, with the nav, in a real browser.
func TestBrowserPagesLoad(t *testing.T) {
	s := startServer(t)
	p := newPage(t, s, 30*time.Second)
	for _, c := range []struct{ path, title string }{
		{"/", "Workflows"}, {"/locks", "Locks"}, {"/cron-workflows", "Cron workflows"}, {"/templates", "Templates"},
	} {
		p.Go(c.path)
		p.WaitText("main h1", c.title)
		p.WaitText("header nav", "Cron workflows")
	}
}
