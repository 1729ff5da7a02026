package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
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

// podOnly are the workflow-level fields that only shape Kubernetes pods
// or their scheduling: semaflow accepts them, so manifests written for
// Argo run unchanged, but they change nothing. The value says how they
// are set from the argo CLI, where a flag sets them.
var podOnly = []struct {
	field string
	set   func(*wfv1.WorkflowSpec) bool
	flag  string
}{
	{"serviceAccountName", func(s *wfv1.WorkflowSpec) bool { return s.ServiceAccountName != "" }, "argo submit --serviceaccount"},
	{"podPriorityClassName", func(s *wfv1.WorkflowSpec) bool { return s.PodPriorityClassName != "" }, "submitOptions.podPriorityClassName"},
	{"nodeSelector", func(s *wfv1.WorkflowSpec) bool { return len(s.NodeSelector) > 0 }, ""},
	{"affinity", func(s *wfv1.WorkflowSpec) bool { return len(s.Affinity) > 0 }, ""},
	{"tolerations", func(s *wfv1.WorkflowSpec) bool { return len(s.Tolerations) > 0 }, ""},
	{"schedulerName", func(s *wfv1.WorkflowSpec) bool { return s.SchedulerName != "" }, ""},
	{"imagePullSecrets", func(s *wfv1.WorkflowSpec) bool { return len(s.ImagePullSecrets) > 0 }, ""},
	{"hostNetwork", func(s *wfv1.WorkflowSpec) bool { return s.HostNetwork != nil }, ""},
	{"dnsPolicy", func(s *wfv1.WorkflowSpec) bool { return s.DNSPolicy != "" }, ""},
	{"dnsConfig", func(s *wfv1.WorkflowSpec) bool { return len(s.DNSConfig) > 0 }, ""},
	{"securityContext", func(s *wfv1.WorkflowSpec) bool { return len(s.SecurityContext) > 0 }, ""},
	{"podSpecPatch", func(s *wfv1.WorkflowSpec) bool { return s.PodSpecPatch != "" }, ""},
	{"podGC", func(s *wfv1.WorkflowSpec) bool { return s.PodGC != nil }, ""},
	{"podDisruptionBudget", func(s *wfv1.WorkflowSpec) bool { return len(s.PodDisruptionBudget) > 0 }, ""},
	{"podMetadata", func(s *wfv1.WorkflowSpec) bool { return s.PodMetadata != nil }, ""},
	{"hostAliases", func(s *wfv1.WorkflowSpec) bool { return len(s.HostAliases) > 0 }, ""},
	{"automountServiceAccountToken", func(s *wfv1.WorkflowSpec) bool { return s.AutomountServiceAccountToken != nil }, ""},
	{"volumeClaimTemplates", func(s *wfv1.WorkflowSpec) bool { return len(s.VolumeClaimTemplates) > 0 }, ""},
	{"archiveLogs", func(s *wfv1.WorkflowSpec) bool { return s.ArchiveLogs != nil }, ""},
	{"artifactRepositoryRef", func(s *wfv1.WorkflowSpec) bool { return s.ArtifactRepositoryRef != nil }, ""},
}

// podOnlyTemplate is the same for a template's own fields.
var podOnlyTemplate = []struct {
	field string
	set   func(*wfv1.Template) bool
}{
	{"serviceAccountName", func(t *wfv1.Template) bool { return t.ServiceAccountName != "" }},
	{"nodeSelector", func(t *wfv1.Template) bool { return len(t.NodeSelector) > 0 }},
	{"affinity", func(t *wfv1.Template) bool { return len(t.Affinity) > 0 }},
	{"tolerations", func(t *wfv1.Template) bool { return len(t.Tolerations) > 0 }},
	{"schedulerName", func(t *wfv1.Template) bool { return t.SchedulerName != "" }},
	{"priorityClassName", func(t *wfv1.Template) bool { return t.PriorityClassName != "" }},
	{"securityContext", func(t *wfv1.Template) bool { return len(t.SecurityContext) > 0 }},
	{"podSpecPatch", func(t *wfv1.Template) bool { return t.PodSpecPatch != "" }},
	{"hostAliases", func(t *wfv1.Template) bool { return len(t.HostAliases) > 0 }},
	{"automountServiceAccountToken", func(t *wfv1.Template) bool { return t.AutomountSAToken != nil }},
}

// maxIgnoredNamed bounds the fields one warning lists (a workflow of
// thousands of templates each with a nodeSelector names a few).
const maxIgnoredNamed = 10

// ignoredFields names the Kubernetes-only fields set in a document, with
// the CLI flag that sets each where there is one.
func ignoredFields(d *spec.Document) []string {
	ws := d.Spec()
	if ws == nil {
		return nil
	}
	base := "spec."
	if d.Cron != nil {
		base = "spec.workflowSpec."
	}
	var out []string
	for _, f := range podOnly {
		if f.set(ws) {
			name := base + f.field
			if f.flag != "" {
				name += " (" + f.flag + ")"
			}
			out = append(out, name)
		}
	}
	for i := range ws.Templates {
		t := &ws.Templates[i]
		for _, f := range podOnlyTemplate {
			if f.set(t) {
				out = append(out, base+"templates["+strconv.Itoa(i)+"]."+f.field+" (template "+t.Name+")")
			}
		}
	}
	if td := ws.TemplateDefaults; td != nil {
		for _, f := range podOnlyTemplate {
			if f.set(td) {
				out = append(out, base+"templateDefaults."+f.field)
			}
		}
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
