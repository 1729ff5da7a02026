package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Never silently wrong (DESIGN.md §5): every field that semaflow accepts
// but does not act on as Argo would is reported. It is an error when
// ignoring it would change what the workflow does or produces (an
// artifact that would be lost, a template that needs Kubernetes, a volume
// a step reads); otherwise a warning naming the field. `lint`, `run`,
// `submit` and the server all read this one list, so they agree.

// Unhonoured is a field of a manifest that semaflow does not act on as
// Argo would.
type Unhonoured struct {
	Path     string // the field, as diagnostics name it
	Severity Severity
	Message  string
	// Flag is how the argo CLI sets the field, where a flag sets it (so
	// a warning can say where it came from).
	Flag string
}

// Why a field has no effect; each is a clause completing "X is ignored: ".
const (
	whyNode      = "steps run on this host; nothing is scheduled onto Kubernetes nodes"
	whyPod       = "steps run as processes on this host, not in pods, so pod settings have no effect"
	whyContainer = "steps run as processes on this host, not in containers, so container settings have no effect"
	whyAccount   = "steps run as processes on this host, with no Kubernetes service account"
	whyPull      = "images are not pulled: steps run the host's programs"
	whyNet       = "steps use the host's network and name resolution"
	whyResources = "CPU and memory requests and limits are not enforced on host processes"
	whyMetrics   = "custom Prometheus metrics are not emitted (/metrics has semaflow's own)"
	whyPodGC     = "there are no pods to delete"
	whyPlugins   = "executor plugins run in Argo's agent pod, which needs Kubernetes"
	whyProbes    = "probes and lifecycle hooks are not run for host processes"
)

// specRules are the WorkflowSpec fields that are ignored; flag is how the
// argo CLI sets one, if it does.
var specRules = []struct {
	field, why, flag string
	set              func(*wfv1.WorkflowSpec) bool
}{
	{"serviceAccountName", whyAccount, "argo submit --serviceaccount", func(s *wfv1.WorkflowSpec) bool { return s.ServiceAccountName != "" }},
	{"automountServiceAccountToken", whyAccount, "", func(s *wfv1.WorkflowSpec) bool { return s.AutomountServiceAccountToken != nil }},
	{"executor", whyAccount, "", func(s *wfv1.WorkflowSpec) bool { return s.Executor != nil }},
	{"podPriorityClassName", whyNode, "submitOptions.podPriorityClassName", func(s *wfv1.WorkflowSpec) bool { return s.PodPriorityClassName != "" }},
	{"nodeSelector", whyNode, "", func(s *wfv1.WorkflowSpec) bool { return len(s.NodeSelector) > 0 }},
	{"affinity", whyNode, "", func(s *wfv1.WorkflowSpec) bool { return len(s.Affinity) > 0 }},
	{"tolerations", whyNode, "", func(s *wfv1.WorkflowSpec) bool { return len(s.Tolerations) > 0 }},
	{"schedulerName", whyNode, "", func(s *wfv1.WorkflowSpec) bool { return s.SchedulerName != "" }},
	{"podDisruptionBudget", whyNode, "", func(s *wfv1.WorkflowSpec) bool { return len(s.PodDisruptionBudget) > 0 }},
	{"imagePullSecrets", whyPull, "", func(s *wfv1.WorkflowSpec) bool { return len(s.ImagePullSecrets) > 0 }},
	{"hostNetwork", whyNet, "", func(s *wfv1.WorkflowSpec) bool { return s.HostNetwork != nil }},
	{"dnsPolicy", whyNet, "", func(s *wfv1.WorkflowSpec) bool { return s.DNSPolicy != "" }},
	{"dnsConfig", whyNet, "", func(s *wfv1.WorkflowSpec) bool { return len(s.DNSConfig) > 0 }},
	{"hostAliases", whyNet, "", func(s *wfv1.WorkflowSpec) bool { return len(s.HostAliases) > 0 }},
	{"securityContext", whyPod, "", func(s *wfv1.WorkflowSpec) bool { return len(s.SecurityContext) > 0 }},
	{"podSpecPatch", whyPod, "", func(s *wfv1.WorkflowSpec) bool { return s.PodSpecPatch != "" }},
	{"podMetadata", whyPod, "", func(s *wfv1.WorkflowSpec) bool { return s.PodMetadata != nil }},
	{"podGC", whyPodGC, "", func(s *wfv1.WorkflowSpec) bool { return s.PodGC != nil }},
	{"podResources", whyResources, "", func(s *wfv1.WorkflowSpec) bool { return hasResources(s.PodResources) }},
	{"resourceClaims", whyResources, "", func(s *wfv1.WorkflowSpec) bool { return len(s.ResourceClaims) > 0 }},
	{"volumeClaimGC", "semaflow makes no volume claims", "", func(s *wfv1.WorkflowSpec) bool { return s.VolumeClaimGC != nil }},
	{"metrics", whyMetrics, "", func(s *wfv1.WorkflowSpec) bool { return s.Metrics != nil }},
	{"artifactGC.podMetadata", whyPod, "", func(s *wfv1.WorkflowSpec) bool { return s.ArtifactGC != nil && s.ArtifactGC.PodMetadata != nil }},
	{"artifactGC.serviceAccountName", whyAccount, "", func(s *wfv1.WorkflowSpec) bool { return s.ArtifactGC != nil && s.ArtifactGC.ServiceAccountName != "" }},
	{"artifactGC.podSpecPatch", whyPod, "", func(s *wfv1.WorkflowSpec) bool { return s.ArtifactGC != nil && s.ArtifactGC.PodSpecPatch != "" }},
	{"executorPlugins", whyPlugins, "", func(s *wfv1.WorkflowSpec) bool { return len(s.ExecutorPlugins) > 0 }},
	{"retryStrategy.affinity", whyNode, "", func(s *wfv1.WorkflowSpec) bool { return s.RetryStrategy != nil && len(s.RetryStrategy.Affinity) > 0 }},
}

// templateRules are the same for a template's own fields.
var templateRules = []struct {
	field, why string
	set        func(*wfv1.Template) bool
}{
	{"serviceAccountName", whyAccount, func(t *wfv1.Template) bool { return t.ServiceAccountName != "" }},
	{"automountServiceAccountToken", whyAccount, func(t *wfv1.Template) bool { return t.AutomountSAToken != nil }},
	{"executor", whyAccount, func(t *wfv1.Template) bool { return t.Executor != nil }},
	{"nodeSelector", whyNode, func(t *wfv1.Template) bool { return len(t.NodeSelector) > 0 }},
	{"affinity", whyNode, func(t *wfv1.Template) bool { return len(t.Affinity) > 0 }},
	{"tolerations", whyNode, func(t *wfv1.Template) bool { return len(t.Tolerations) > 0 }},
	{"schedulerName", whyNode, func(t *wfv1.Template) bool { return t.SchedulerName != "" }},
	{"priorityClassName", whyNode, func(t *wfv1.Template) bool { return t.PriorityClassName != "" }},
	{"retryStrategy.affinity", whyNode, func(t *wfv1.Template) bool { return t.RetryStrategy != nil && len(t.RetryStrategy.Affinity) > 0 }},
	{"hostAliases", whyNet, func(t *wfv1.Template) bool { return len(t.HostAliases) > 0 }},
	{"securityContext", whyPod, func(t *wfv1.Template) bool { return len(t.SecurityContext) > 0 }},
	{"podSpecPatch", whyPod, func(t *wfv1.Template) bool { return t.PodSpecPatch != "" }},
	{"metadata", whyPod, func(t *wfv1.Template) bool { return len(t.Metadata.Labels)+len(t.Metadata.Annotations) > 0 }},
	{"podResources", whyResources, func(t *wfv1.Template) bool { return hasResources(t.PodResources) }},
	{"resourceClaims", whyResources, func(t *wfv1.Template) bool { return len(t.ResourceClaims) > 0 }},
	{"metrics", whyMetrics, func(t *wfv1.Template) bool { return t.Metrics != nil }},
}

// containerRules are the same for a container's fields.
var containerRules = []struct {
	field, why string
	set        func(*wfv1.Container) bool
}{
	{"resources", whyResources, func(c *wfv1.Container) bool { return hasResources(c.Resources) }},
	{"resizePolicy", whyResources, func(c *wfv1.Container) bool { return len(c.ResizePolicy) > 0 }},
	{"imagePullPolicy", whyPull, func(c *wfv1.Container) bool { return c.ImagePullPolicy != "" }},
	{"securityContext", whyContainer, func(c *wfv1.Container) bool { return len(c.SecurityContext) > 0 }},
	{"ports", whyNet, func(c *wfv1.Container) bool { return len(c.Ports) > 0 }},
	{"livenessProbe", whyProbes, func(c *wfv1.Container) bool { return len(c.LivenessProbe) > 0 }},
	{"readinessProbe", whyProbes, func(c *wfv1.Container) bool { return len(c.ReadinessProbe) > 0 }},
	{"startupProbe", whyProbes, func(c *wfv1.Container) bool { return len(c.StartupProbe) > 0 }},
	{"lifecycle", whyProbes, func(c *wfv1.Container) bool { return len(c.Lifecycle) > 0 }},
	{"restartPolicy", whyContainer, func(c *wfv1.Container) bool { return c.RestartPolicy != "" }},
	{"restartPolicyRules", whyContainer, func(c *wfv1.Container) bool { return len(c.RestartPolicyRules) > 0 }},
	{"volumeDevices", whyContainer, func(c *wfv1.Container) bool { return len(c.VolumeDevices) > 0 }},
	{"terminationMessagePath", whyContainer, func(c *wfv1.Container) bool { return c.TerminationMessagePath != "" }},
	{"terminationMessagePolicy", whyContainer, func(c *wfv1.Container) bool { return c.TerminationMessagePolicy != "" }},
	{"stdin", whyContainer, func(c *wfv1.Container) bool { return c.Stdin }},
	{"stdinOnce", whyContainer, func(c *wfv1.Container) bool { return c.StdinOnce }},
	{"tty", whyContainer, func(c *wfv1.Container) bool { return c.TTY }},
	{"mirrorVolumeMounts", whyContainer, func(c *wfv1.Container) bool { return c.MirrorVolumeMounts != nil }},
}

func hasResources(r *wfv1.ResourceRequirements) bool {
	return r != nil && len(r.Limits)+len(r.Requests)+len(r.Claims) > 0
}

// UnhonouredFields lists the fields of d that semaflow does not act on as
// Argo would, in the order of the manifest's walk.
func UnhonouredFields(d *Document) []Unhonoured {
	s := d.Spec()
	if s == nil {
		return nil
	}
	w := &unhonouredWalk{base: d.specPath(), spec: s, mounted: map[string]bool{},
		standalone: (d.Workflow != nil || d.Cron != nil) && s.WorkflowTemplateRef == nil}
	if c := d.Cron; c != nil {
		// Both decide whether the schedule runs at all.
		if c.Spec.When != "" {
			w.errorf("spec.when", "when is not supported: the CronWorkflow would run at every schedule whatever it says")
		}
		if c.Spec.StopStrategy != nil {
			w.errorf("spec.stopStrategy", "stopStrategy is not supported: the CronWorkflow would never stop scheduling")
		}
	}
	w.walkSpec()
	return w.out
}

// unhonouredWalk gathers the fields of one WorkflowSpec.
type unhonouredWalk struct {
	base    string
	spec    *wfv1.WorkflowSpec
	out     []Unhonoured
	mounted map[string]bool // volume names some container mounts
	// standalone: the spec declares every volume its templates mount (a
	// WorkflowTemplate's may come from the workflow that uses it).
	standalone bool
}

func (w *unhonouredWalk) warn(path, field, why string) {
	w.out = append(w.out, Unhonoured{Path: path, Severity: SeverityWarning, Message: field + " is ignored: " + why})
}

func (w *unhonouredWalk) errorf(path, format string, args ...any) {
	w.out = append(w.out, Unhonoured{Path: path, Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
}

// outputSources reports output fields semaflow does not act on, each of
// which would give a step's consumers something else than Argo would.
func (w *unhonouredWalk) outputSources(t *wfv1.Template, path string) {
	for i, p := range t.Outputs.Parameters {
		vf := p.ValueFrom
		pp := fmt.Sprintf("%s.outputs.parameters[%d].valueFrom", path, i)
		switch {
		case vf == nil:
		case vf.JQFilter != "":
			w.errorf(pp+".jqFilter", "valueFrom.jqFilter is not supported (Argo applies it to a resource template's object): "+
				"parameter %q would not be filtered; read the file with path and filter it in the step", p.Name)
		case vf.JSONPath != "":
			w.errorf(pp+".jsonPath", "valueFrom.jsonPath is not supported (Argo applies it to a resource template's object): "+
				"parameter %q would not be extracted; read the file with path and extract it in the step", p.Name)
		case vf.Event != "":
			w.errorf(pp+".event", "valueFrom.event is not supported: it needs Argo Events")
		}
	}
	for i, a := range t.Outputs.Artifacts {
		if a.GlobalName != "" {
			w.errorf(fmt.Sprintf("%s.outputs.artifacts[%d].globalName", path, i),
				"globalName of an output artifact is not supported: {{workflow.outputs.artifacts.%s}} would not resolve", a.GlobalName)
		}
	}
}

func (w *unhonouredWalk) walkSpec() {
	s, base := w.spec, w.base
	for i, p := range s.Arguments.Parameters {
		if p.ValueFrom != nil && p.ValueFrom.Event != "" {
			w.errorf(fmt.Sprintf("%s.arguments.parameters[%d].valueFrom.event", base, i),
				"valueFrom.event is not supported: it needs Argo Events, and parameter %q would be empty", p.Name)
		}
	}
	for _, r := range specRules {
		if r.set(s) {
			w.out = append(w.out, Unhonoured{Path: base + "." + r.field, Severity: SeverityWarning,
				Message: r.field + " is ignored: " + r.why, Flag: r.flag})
		}
	}
	w.artifactArgs(s.Arguments.Artifacts, base+".arguments.artifacts")
	for i := range s.Templates {
		w.template(&s.Templates[i], fmt.Sprintf("%s.templates[%d]", base, i), 0)
	}
	if s.TemplateDefaults != nil {
		w.template(s.TemplateDefaults, base+".templateDefaults", 0)
	}
	declared := func(path, kind, name string) {
		if name != "" && !w.mounted[name] {
			w.warn(path, kind+" "+strconv.Quote(name), "no step mounts it")
		}
	}
	for i, v := range s.Volumes {
		declared(fmt.Sprintf("%s.volumes[%d]", base, i), "volume", v.Name)
		w.volumeSource(&v, fmt.Sprintf("%s.volumes[%d]", base, i))
	}
	for i, v := range s.VolumeClaimTemplates {
		md, _ := v["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		declared(fmt.Sprintf("%s.volumeClaimTemplates[%d]", base, i), "volume claim template", name)
		w.claimStorage(v, fmt.Sprintf("%s.volumeClaimTemplates[%d]", base, i))
	}
	w.volumeNames()
	w.daemonHandlers()
}

func (w *unhonouredWalk) template(t *wfv1.Template, path string, depth int) {
	if depth > maxInlineDepth {
		return // validation reports the nesting
	}
	for _, r := range templateRules {
		if r.set(t) {
			w.warn(path+"."+r.field, r.field, r.why)
		}
	}
	name := strconv.Quote(t.Name)
	switch {
	case t.Resource != nil:
		w.errorf(path+".resource", "resource templates need Kubernetes: template %s would %s an object through "+
			"Kubernetes' API server, and semaflow has none", name, orDefault(t.Resource.Action, "act on"))
		return
	case t.Plugin != nil:
		w.errorf(path+".plugin", "plugin templates need Kubernetes: template %s would run in Argo's agent pod", name)
		return
	}
	w.inputArtifacts(t.Inputs.Artifacts, path+".inputs.artifacts")
	w.outputSources(t, path)
	for i, v := range t.Volumes {
		if v.Name != "" && !templateMounts(t, v.Name) {
			w.warn(fmt.Sprintf("%s.volumes[%d]", path, i), "volume "+strconv.Quote(v.Name), "no step mounts it")
		}
		w.volumeSource(&t.Volumes[i], fmt.Sprintf("%s.volumes[%d]", path, i))
	}
	w.templateVolumeNames(t, path)
	w.volumeMounts(t, path)
	w.podContainers(t, path)
	w.containerNames(t, path)
	w.inputPaths(t.Inputs.Artifacts, path+".inputs.artifacts")
	daemon := t.Daemon != nil && *t.Daemon
	switch {
	case t.Container != nil:
		w.container(t.Container, path+".container", mainRole(daemon))
	case t.Script != nil:
		w.container(&t.Script.Container, path+".script", mainRole(daemon))
	}
	for gi, group := range t.Steps {
		for si := range group {
			st := &group[si]
			sp := fmt.Sprintf("%s.steps[%d][%d]", path, gi, si)
			w.artifactArgs(st.Arguments.Artifacts, sp+".arguments.artifacts")
			if st.Inline != nil {
				w.template(st.Inline, sp+".inline", depth+1)
			}
		}
	}
	if t.DAG != nil {
		for ti := range t.DAG.Tasks {
			task := &t.DAG.Tasks[ti]
			tp := fmt.Sprintf("%s.dag.tasks[%d]", path, ti)
			w.artifactArgs(task.Arguments.Artifacts, tp+".arguments.artifacts")
			if task.Inline != nil {
				w.template(task.Inline, tp+".inline", depth+1)
			}
		}
	}
}

// templateMounts says whether a container of t mounts the volume name.
func templateMounts(t *wfv1.Template, name string) bool {
	ms, _ := MountedBy(t, "")
	for _, m := range ms {
		if m.Name == name {
			return true
		}
	}
	return false
}

// container reports c's unhonoured fields; role says what a field
// means for it (podcontainers.go): a daemon's readinessProbe is made, and
// an init container or sidecar always sees main's mounts.
func (w *unhonouredWalk) container(c *wfv1.Container, path string, role ctrRole) {
	for _, r := range containerRules {
		if r.field == "readinessProbe" && role == ctrDaemon {
			w.daemonProbe(c, path)
			continue
		}
		if r.field == "mirrorVolumeMounts" && role == ctrBeside {
			continue
		}
		if r.set(c) {
			w.warn(path+"."+r.field, r.field, r.why)
		}
	}
	for i, e := range c.Env {
		if len(e.ValueFrom) > 0 {
			w.errorf(fmt.Sprintf("%s.env[%d].valueFrom", path, i), "env valueFrom is not supported by semaflow yet: "+
				"%s would be empty (secrets, ConfigMaps and pod fields are not read into a step's environment); set value instead", e.Name)
		}
	}
	if len(c.EnvFrom) > 0 {
		w.errorf(path+".envFrom", "envFrom is not supported by semaflow yet: the variables it names would be missing "+
			"(secrets and ConfigMaps are not read into a step's environment); list them under env with a value")
	}
}

// inputArtifacts reports the input artifacts that would not be delivered:
// all but raw ones (an artifact with no location is given by its caller,
// whose arguments are reported).
func (w *unhonouredWalk) inputArtifacts(arts []wfv1.Artifact, path string) {
	for i, a := range arts {
		src := artifactSource(&a)
		if src == "" || src == "raw" || src == "from" || fetchedSources[src] {
			continue
		}
		w.errorf(fmt.Sprintf("%s[%d].%s", path, i, src), "input artifacts from %s are not supported by semaflow yet: %q would not be fetched, "+
			"so %s would be missing; raw, s3, http, git and other steps' artifacts are delivered", src, a.Name, orDefault(a.Path, "its path"))
	}
}

// artifactArgs reports artifacts passed as arguments from where semaflow
// cannot fetch them; from, fromExpression, raw and key-only s3 reach the
// template's input.
func (w *unhonouredWalk) artifactArgs(arts []wfv1.Artifact, path string) {
	w.inputArtifacts(arts, path)
}

// artifactSource names where an artifact is fetched from, "" when it
// names no location.
func artifactSource(a *wfv1.Artifact) string {
	if k := a.Kind(); k != "" {
		return k
	}
	if a.From != "" || a.FromExpression != "" {
		return "from"
	}
	return ""
}

// reportUnhonoured adds d's unhonoured fields to its diagnostics.
func reportUnhonoured(d *Document) {
	for _, u := range UnhonouredFields(d) {
		if u.Severity == SeverityError && d.badPaths[u.Path] {
			continue
		}
		d.addDiag(Diagnostic{Pos: d.KeyPos(u.Path), Path: u.Path, Severity: u.Severity, Message: u.Message, Unhonoured: true})
	}
}

// joinNames lists names for a message, at most limit of them.
func joinNames(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:limit], ", ") + fmt.Sprintf(" and %d more", len(names)-limit)
}
