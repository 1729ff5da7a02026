package ui

import "net/http"

// locksRoutes serves the Locks page. Its data comes from the API:
// /api/v1/sync-events (the locks, live), /api/v1/sync-history (the
// chart) and Argo's sync API (a limit changed from the page).
func (u *UI) locksRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /locks", u.page("locks", "locks", "Locks", nil))
}
