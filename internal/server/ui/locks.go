package ui

import "net/http"

// locksRoutes serves the Locks page. A placeholder: the Locks page
// replaces it (files locks*).
func (u *UI) locksRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /locks", u.page("locks", "locks", "Locks", nil))
}
