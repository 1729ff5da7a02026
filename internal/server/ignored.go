package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/internal/spec"
)

// SetLogger sets where the server reports what it cannot tell a caller
// in an answer the argo CLI prints: fields it accepts but ignores.
func (s *Server) SetLogger(l *slog.Logger) { s.log = l }

func (s *Server) logger() *slog.Logger {
	if s.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.log
}

// maxIgnoredNamed bounds the fields one warning lists (a workflow of
// thousands of templates each with a nodeSelector names a few).
const maxIgnoredNamed = 10

// ignoredFields names the fields of a document that have no effect here,
// with the argo CLI flag that sets each where there is one: the warnings
// of lint's list (spec.UnhonouredFields), so the server and lint agree.
// Its errors never get here: the document was refused.
func ignoredFields(d *spec.Document) []string {
	var out []string
	for _, u := range spec.UnhonouredFields(d) {
		if u.Severity != spec.SeverityWarning {
			continue
		}
		name := u.Path
		if u.Flag != "" {
			name += " (" + u.Flag + ")"
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// warnIgnored tells the caller and the server's log which fields of an
// accepted object have no effect here. The answer carries them in a
// Warning header (code 299, as the Kubernetes API warns), since Argo's
// response bodies have no place for them.
func (s *Server) warnIgnored(w http.ResponseWriter, r *http.Request, d *spec.Document) {
	fields := ignoredFields(d)
	if len(fields) == 0 {
		return
	}
	more := ""
	if len(fields) > maxIgnoredNamed {
		more = fmt.Sprintf(" and %d more", len(fields)-maxIgnoredNamed)
		fields = fields[:maxIgnoredNamed]
	}
	name := d.Name
	if name == "" && d.Workflow != nil {
		name = d.Workflow.Metadata.GenerateName + "*"
	}
	msg := fmt.Sprintf("%s %s/%s: %s%s: accepted but without effect: semaflow runs steps as local processes, "+
		"not Kubernetes pods (no service account, node scheduling or pod settings)",
		d.Kind, d.Namespace(), name, strings.Join(fields, ", "), more)
	s.logger().Warn(msg, "request", r.Method+" "+r.URL.Path)
	w.Header().Add("Warning", "299 - "+strconv.Quote(msg))
}
