// Package ui is semaflow's web UI: pages rendered with html/template
// whose data the browser reads from the server's own JSON API (Argo's
// paths), so the API's auth and namespace scoping are the UI's too. The
// templates, the stylesheet and the scripts are embedded: the binary
// needs nothing else.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// UI serves the pages. Make it with New.
type UI struct {
	pages map[string]*template.Template
	// assetVersion changes with the embedded assets, so browsers fetch
	// new ones after an upgrade though they cache them for long.
	assetVersion string
	version      string
	log          *slog.Logger
}

// New parses the embedded templates; version is shown in the footer.
func New(version string) (*UI, error) {
	u := &UI{pages: map[string]*template.Template{}, version: version, log: slog.New(slog.DiscardHandler)}
	layout, err := template.New("layout.html").Funcs(template.FuncMap{"join": strings.Join}).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		u.pages[strings.TrimSuffix(base, ".html")] = t
	}
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFS.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	u.assetVersion = hex.EncodeToString(h.Sum(nil))[:12]
	return u, nil
}

// SetLogger logs the pages that fail to render.
func (u *UI) SetLogger(l *slog.Logger) {
	if l != nil {
		u.log = l
	}
}

// Register adds the UI's routes to mux. None is under /api/ or /metrics.
func (u *UI) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /login", u.loginPage)
	mux.HandleFunc("POST /login", u.login)
	mux.HandleFunc("POST /logout", u.logout)
	mux.HandleFunc("GET /{$}", u.page("workflows", "workflows", "Workflows", nil))
	mux.HandleFunc("GET /workflows", u.page("workflows", "workflows", "Workflows", nil))
	mux.HandleFunc("GET /workflows/{namespace}/{name}", u.page("workflow", "workflows", "Workflow", pathValues("namespace", "name")))
	mux.HandleFunc("GET /cron-workflows", u.page("crons", "cron", "Cron workflows", nil))
	mux.HandleFunc("GET /cron-workflows/{namespace}/{name}", u.page("cron", "cron", "Cron workflow", pathValues("namespace", "name")))
	mux.HandleFunc("GET /templates", u.page("templates", "templates", "Templates", nil))
	mux.HandleFunc("GET /templates/{namespace}/{name}", u.page("template", "templates", "Workflow template", pathValues("namespace", "name")))
	mux.HandleFunc("GET /cluster-templates/{name}", u.page("template", "templates", "Cluster workflow template", pathValues("name")))
	u.locksRoutes(mux)
}

// pageData is what every template gets.
type pageData struct {
	Title string
	Nav   string // the nav entry to mark as current
	// CSRF goes back in the X-CSRF-Token header of the page's writes
	// when a cookie signs it in; empty when the server needs no token.
	CSRF string
	// Auth says the server needs a token (so there is a logout).
	Auth bool
	// Namespaces the token may act in; none: all.
	Namespaces []string
	Asset      string // the assets' version, for their URLs
	Version    string
	// Path holds the path values the page is about (namespace, name).
	Path map[string]string
}

func pathValues(names ...string) func(*http.Request) map[string]string {
	return func(r *http.Request) map[string]string {
		m := map[string]string{}
		for _, n := range names {
			m[n] = r.PathValue(n)
		}
		return m
	}
}

// page serves a page, or sends the browser to the login page when the
// server needs a token and the request carries no valid one.
func (u *UI) page(name, nav, title string, values func(*http.Request) map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := SessionFrom(r.Context())
		if sess != nil && sess.Token == "" {
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		d := u.data(r, nav, title)
		if values != nil {
			d.Path = values(r)
		}
		u.render(w, name, d)
	}
}

func (u *UI) data(r *http.Request, nav, title string) pageData {
	d := pageData{Title: title, Nav: nav, Asset: u.assetVersion, Version: u.version}
	if sess := SessionFrom(r.Context()); sess != nil {
		d.Auth = true
		if sess.Token != "" {
			d.CSRF = CSRF(sess.Token)
			d.Namespaces = sess.Namespaces
		}
	}
	return d
}

// render writes the page whole or, when it fails, a 500 and nothing of it.
func (u *UI) render(w http.ResponseWriter, name string, d pageData) {
	t := u.pages[name]
	var buf bytes.Buffer
	if t == nil {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", d); err != nil {
		u.log.Error("web UI: rendering a page", "page", name, "err", err)
		http.Error(w, "the page "+name+" failed to render", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// securityHeaders: no inline script or style and nothing from elsewhere,
// so data that slipped past escaping still cannot run; no framing.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}
