package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// validateDoc runs the checks for one decoded document.
func validateDoc(s *Set, d *Document) {
	switch {
	case d.ConfigMap != nil:
		if d.ConfigMap.Metadata.Name == "" {
			d.errorAt("metadata.name", "a ConfigMap needs metadata.name")
		}
	case d.Workflow != nil:
		if d.Workflow.Metadata.Name == "" && d.Workflow.Metadata.GenerateName == "" {
			d.errorAt("metadata", "a Workflow needs metadata.name or metadata.generateName")
		}
		checkPendingTimeout(d, "metadata.annotations", d.Workflow.Metadata.Annotations)
		validateSpec(s, d, &d.Workflow.Spec, true)
	case d.Template != nil:
		if d.Template.Metadata.Name == "" {
			d.errorAt("metadata.name", "a %s needs metadata.name", d.Kind)
		}
		validateSpec(s, d, &d.Template.Spec, false)
	case d.Cron != nil:
		validateCron(s, d)
	}
	checkWithheldExpressions(d)
	reportUnhonoured(d)
}

func validateCron(s *Set, d *Document) {
	c := d.Cron
	if c.Metadata.Name == "" {
		d.errorAt("metadata.name", "a CronWorkflow needs metadata.name")
	}
	if len(c.Spec.AllSchedules()) == 0 {
		d.errorAt("spec", "a CronWorkflow needs spec.schedules (or the older spec.schedule)")
	}
	if err := checkCronSchedule(c.Spec.Schedule); c.Spec.Schedule != "" && err != nil {
		d.errorAt("spec.schedule", "invalid cron schedule %q: %v", c.Spec.Schedule, err)
	}
	for i, sched := range c.Spec.Schedules {
		if err := checkCronSchedule(sched); err != nil {
			d.errorAt(fmt.Sprintf("spec.schedules[%d]", i), "invalid cron schedule %q: %v", sched, err)
		}
	}
	switch c.Spec.ConcurrencyPolicy {
	case "", "Allow", "Forbid", "Replace":
	default:
		d.errorAt("spec.concurrencyPolicy", "concurrencyPolicy must be Allow, Forbid or Replace, got %q", c.Spec.ConcurrencyPolicy)
	}
	if c.Spec.Timezone != "" {
		if _, err := time.LoadLocation(c.Spec.Timezone); err != nil {
			d.errorAt("spec.timezone", "unknown time zone %q", c.Spec.Timezone)
		}
	}
	validateSpec(s, d, &c.Spec.WorkflowSpec, true)
}

// wfCtx is what the checks of one WorkflowSpec share.
type wfCtx struct {
	set       *Set
	doc       *Document
	spec      *wfv1.WorkflowSpec
	path      string
	ns        string
	templates map[string]*wfv1.Template
	// globals are the names of workflow parameters, or nil when they cannot
	// be known (a template library used by workflows that pass their own).
	globals map[string]bool
}

func validateSpec(s *Set, d *Document, spec *wfv1.WorkflowSpec, isWorkflow bool) {
	c := &wfCtx{set: s, doc: d, spec: spec, path: d.specPath(), ns: d.Namespace(), templates: map[string]*wfv1.Template{}}
	for i := range spec.Templates {
		t := &spec.Templates[i]
		tp := fmt.Sprintf("%s.templates[%d]", c.path, i)
		switch {
		case t.Name == "":
			d.errorAt(tp, "template needs a name")
		case ValidFieldName(t.Name) != nil:
			d.errorAt(tp+".name", "template %v", ValidFieldName(t.Name))
			c.templates[t.Name] = t // references to it are not errors of their own
		case c.templates[t.Name] != nil:
			d.errorAt(tp+".name", "template name %q is used twice", t.Name)
		default:
			c.templates[t.Name] = t
		}
	}
	var refSpec *wfv1.WorkflowSpec
	if ref := spec.WorkflowTemplateRef; ref != nil {
		refSpec = c.checkWorkflowTemplateRef(ref)
	}
	if isWorkflow && refSpec == nil && spec.WorkflowTemplateRef == nil {
		c.globals = map[string]bool{}
		for _, p := range spec.Arguments.Parameters {
			c.globals[p.Name] = true
		}
	}
	c.checkParams(spec.Arguments.Parameters, c.path+".arguments.parameters", true)
	if refSpec != nil {
		c.checkRefEnums(spec.Arguments.Parameters, refSpec.Arguments.Parameters)
	}
	c.checkEntrypoint(isWorkflow, refSpec)
	if spec.OnExit != "" {
		c.checkTemplateName(spec.OnExit, c.path+".onExit")
	}
	for name, h := range spec.Hooks {
		c.checkHook(h, fmt.Sprintf("%s.hooks.%s", c.path, name))
	}
	if spec.Parallelism != nil && *spec.Parallelism < 0 {
		d.errorAt(c.path+".parallelism", "parallelism must not be negative, got %d", *spec.Parallelism)
	}
	if spec.ActiveDeadlineSeconds != nil && *spec.ActiveDeadlineSeconds < 0 {
		d.errorAt(c.path+".activeDeadlineSeconds", "activeDeadlineSeconds must not be negative, got %d", *spec.ActiveDeadlineSeconds)
	}
	checkDurationField(d, c.path+".retryStrategy", spec.RetryStrategy)
	checkWorkflowMeta(d, c.path, spec)
	wfLocks := c.checkSync(spec.Synchronization, c.path+".synchronization", nil, nil)
	for i := range spec.Templates {
		c.checkTemplate(&spec.Templates[i], fmt.Sprintf("%s.templates[%d]", c.path, i), wfLocks, 0)
	}
	c.checkDefaultsDeadlock(wfLocks)
	c.checkArtifactSpec(spec)
}

// checkRefEnums holds the arguments a workflow gives a WorkflowTemplate
// it runs to the template's enums, as Argo does at submit: a value the
// template does not allow is refused before anything runs.
func (c *wfCtx) checkRefEnums(args, declared []wfv1.Parameter) {
	for i, a := range args {
		if a.Value == nil || isTemplated(string(*a.Value)) {
			continue
		}
		for _, p := range declared {
			if p.Name == a.Name && len(p.Enum) > 0 && !slices.Contains(p.Enum, *a.Value) {
				c.doc.errorAt(fmt.Sprintf("%s.arguments.parameters[%d].value", c.path, i),
					"value %q is not one of the allowed values of parameter %q (%s)", *a.Value, a.Name, enumList(p.Enum))
			}
		}
	}
}

func enumList(enum []wfv1.AnyString) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = strconv.Quote(string(e))
	}
	return strings.Join(parts, ", ")
}

func (c *wfCtx) checkWorkflowTemplateRef(ref *wfv1.WorkflowTemplateRef) *wfv1.WorkflowSpec {
	p := c.path + ".workflowTemplateRef"
	if ref.Name == "" {
		c.doc.errorAt(p+".name", "workflowTemplateRef needs a name")
		return nil
	}
	if isTemplated(ref.Name) {
		c.doc.errorAt(p+".name", "%s", notTemplated("workflowTemplateRef", ref.Name))
		return nil
	}
	t := c.set.WorkflowTemplate(c.ns, ref.Name, ref.ClusterScope)
	if t == nil {
		c.missingTemplate(p+".name", ref)
		return nil
	}
	return &t.Spec
}

// missingTemplate reports a reference to a template that is not there: a
// warning for files (it may be applied before they are submitted), an
// error where the applied objects are the whole truth (the server).
func (c *wfCtx) missingTemplate(path string, ref *wfv1.WorkflowTemplateRef) {
	if c.set.Applied != nil {
		c.doc.errorAt(path, "%s %q not found in namespace %q: apply it first", tplKind(ref.ClusterScope), ref.Name, c.ns)
		return
	}
	c.doc.warnAt(path, "%s %q is not in the input: apply it before submitting", tplKind(ref.ClusterScope), ref.Name)
}

// notTemplated is the message for a template reference whose name holds
// {{...}}: Argo resolves these names as written, so the workflow would
// fail at run time with the template not found.
func notTemplated(field, name string) string {
	return fmt.Sprintf("%s name %q: templateRef names are not templated; name the template literally", field, name)
}

func tplKind(cluster bool) string {
	if cluster {
		return wfv1.KindClusterWorkflowTemplate
	}
	return wfv1.KindWorkflowTemplate
}

func (c *wfCtx) checkEntrypoint(isWorkflow bool, refSpec *wfv1.WorkflowSpec) {
	ep := c.spec.Entrypoint
	p := c.path + ".entrypoint"
	if ep == "" && refSpec != nil {
		ep = refSpec.Entrypoint
	}
	if isWorkflow && ep == "" && c.spec.WorkflowTemplateRef == nil {
		c.doc.errorAt(p, "spec.entrypoint is required: name the template the workflow starts with")
		return
	}
	if ep == "" || isTemplated(ep) {
		return
	}
	if c.templates[ep] != nil {
		return
	}
	if refSpec != nil {
		for i := range refSpec.Templates {
			if refSpec.Templates[i].Name == ep {
				return
			}
		}
	}
	if c.spec.WorkflowTemplateRef != nil && refSpec == nil {
		return // the templates live in a template we cannot see
	}
	c.unknownTemplate(ep, p)
}

func (c *wfCtx) unknownTemplate(name, path string) {
	names := make([]string, 0, len(c.templates))
	for n := range c.templates {
		names = append(names, n)
	}
	msg := fmt.Sprintf("template %q not found", name)
	if s := suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	c.doc.errorAt(path, "%s", msg)
}

func (c *wfCtx) checkTemplateName(name, path string) {
	if name == "" || isTemplated(name) || c.templates[name] != nil {
		return
	}
	c.unknownTemplate(name, path)
}

// checkTemplateRef checks a templateRef against the templates in the set.
func (c *wfCtx) checkTemplateRef(ref *wfv1.TemplateRef, path string) {
	if ref.Name == "" || ref.Template == "" {
		c.doc.errorAt(path, "templateRef needs both name and template")
		return
	}
	if isTemplated(ref.Name) {
		c.doc.errorAt(path+".name", "%s", notTemplated("templateRef", ref.Name))
		return
	}
	if isTemplated(ref.Template) {
		return
	}
	t := c.set.WorkflowTemplate(c.ns, ref.Name, ref.ClusterScope)
	if t == nil {
		c.missingTemplate(path+".name", &wfv1.WorkflowTemplateRef{Name: ref.Name, ClusterScope: ref.ClusterScope})
		return
	}
	for i := range t.Spec.Templates {
		if t.Spec.Templates[i].Name == ref.Template {
			return
		}
	}
	c.doc.errorAt(path+".template", "%s %q has no template %q", tplKind(ref.ClusterScope), ref.Name, ref.Template)
}

func (c *wfCtx) checkHook(h wfv1.LifecycleHook, path string) {
	switch {
	case h.Template != "" && h.TemplateRef != nil:
		c.doc.errorAt(path, "a hook takes template or templateRef, not both")
	case h.Template != "":
		c.checkTemplateName(h.Template, path+".template")
	case h.TemplateRef != nil:
		c.checkTemplateRef(h.TemplateRef, path+".templateRef")
	default:
		c.doc.errorAt(path, "a hook needs template or templateRef")
	}
}

const maxInlineDepth = 10

func (c *wfCtx) checkTemplate(t *wfv1.Template, path string, wfLocks []LockRef, depth int) {
	d := c.doc
	if depth > maxInlineDepth {
		d.errorAt(path, "inline templates are nested more than %d deep", maxInlineDepth)
		return
	}
	switch types := t.Types(); len(types) {
	case 0:
		d.errorAt(path, "template %q has no type: set exactly one of %s", t.Name, strings.Join(wfv1.TemplateTypes, ", "))
	case 1:
	default:
		d.errorAt(path, "template %q sets %s: a template has exactly one type", t.Name, strings.Join(types, " and "))
	}
	if t.Script != nil && t.Script.Source == "" {
		// Argo runs it as a container (command and args, no script file).
		d.warnAt(path+".script", "script template %q has no source: it runs its command and args as a container template would; a container template says so", t.Name)
	}
	if t.Parallelism != nil && *t.Parallelism < 0 {
		d.errorAt(path+".parallelism", "parallelism must not be negative, got %d", *t.Parallelism)
	}
	c.checkParams(t.Inputs.Parameters, path+".inputs.parameters", false)
	checkDuration(d, path+".timeout", t.Timeout)
	if a := t.ActiveDeadlineSeconds; a != nil && !isTemplated(a.String()) {
		if n, err := strconv.Atoi(a.String()); err != nil || n <= 0 {
			d.errorAt(path+".activeDeadlineSeconds", "activeDeadlineSeconds %q is not a whole number of seconds greater than 0", a.String())
		}
	}
	checkPendingTimeoutValue(d, path+".pendingTimeout", t.PendingTimeout)
	if t.Suspend != nil {
		checkDuration(d, path+".suspend.duration", t.Suspend.Duration)
	}
	checkDurationField(d, path+".retryStrategy", t.RetryStrategy)
	checkMemoize(d, path, t.Memoize)
	if t.HTTP != nil {
		checkHTTP(d, path, t.HTTP)
	}
	if t.Data != nil {
		checkData(d, path, t)
	}
	if t.ContainerSet != nil {
		checkContainerSet(d, path, t.ContainerSet)
	}
	if t.Steps != nil && len(t.Steps) == 0 {
		// The workflow copy drops an empty list, leaving a template of no
		// type (Argo's API round trip does the same and refuses it).
		d.errorAt(path+".steps", "empty: a steps template needs at least one group")
	}
	c.checkTemplateArtifacts(t, path)
	sc := newScope(c, t)
	c.checkSync(t.Synchronization, path+".synchronization", wfLocks, sc)
	for gi, group := range t.Steps {
		for si := range group {
			c.checkStep(sc, &group[si], fmt.Sprintf("%s.steps[%d][%d]", path, gi, si), wfLocks, depth)
		}
	}
	if t.DAG != nil {
		c.checkDAG(sc, t.DAG, path+".dag", wfLocks, depth)
	}
	sc.scanTemplateBody(t, path)
}

func (c *wfCtx) checkStep(sc *scope, st *wfv1.WorkflowStep, path string, wfLocks []LockRef, depth int) {
	if st.Name == "" {
		c.doc.errorAt(path, "step needs a name")
	} else if err := ValidFieldName(st.Name); err != nil {
		c.doc.errorAt(path+".name", "step %v", err)
	}
	c.checkCall(st.Template, st.TemplateRef, st.Inline, path, wfLocks, depth)
	c.checkLoops(len(st.WithItems) > 0, st.WithParam != "", st.WithSequence, path)
	c.checkEmptyItems(st.WithItems, path)
	c.checkLoopSize(sc.tmpl.Name, st.WithItems, st.WithSequence, path)
	if st.OnExit != "" {
		c.checkTemplateName(st.OnExit, path+".onExit")
	}
	for name, h := range st.Hooks {
		c.checkHook(h, fmt.Sprintf("%s.hooks.%s", path, name))
	}
	sc.scanCall(st, path, hasLoop(st.WithItems, st.WithParam, st.WithSequence))
}

// checkCall checks that a step or task names exactly one template to run.
func (c *wfCtx) checkCall(name string, ref *wfv1.TemplateRef, inline *wfv1.Template, path string, wfLocks []LockRef, depth int) {
	n := 0
	for _, set := range []bool{name != "", ref != nil, inline != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		c.doc.errorAt(path, "set exactly one of template, templateRef or inline")
		return
	}
	switch {
	case name != "":
		c.checkTemplateName(name, path+".template")
	case ref != nil:
		c.checkTemplateRef(ref, path+".templateRef")
	default:
		c.checkTemplate(inline, path+".inline", wfLocks, depth+1)
	}
}

func (c *wfCtx) checkLoops(items, param bool, seq *wfv1.Sequence, path string) {
	n := 0
	for _, set := range []bool{items, param, seq != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		c.doc.errorAt(path, "use only one of withItems, withParam and withSequence")
	}
	if seq != nil && seq.Count != nil && seq.End != nil {
		c.doc.errorAt(path+".withSequence", "withSequence takes count or end, not both")
	}
}

func hasLoop(items []wfv1.Item, param string, seq *wfv1.Sequence) bool {
	return len(items) > 0 || param != "" || seq != nil
}

var paramName = regexp.MustCompile(`^[-a-zA-Z0-9_]+$`)

// ValidParamName says why name cannot name a parameter, or returns nil:
// the one check for a manifest's parameters and for -p NAME=VALUE of
// submit, retry and resubmit.
func ValidParamName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("parameter needs a name")
	case !paramName.MatchString(name):
		return fmt.Errorf("parameter name %q may contain only letters, digits, '-' and '_'", abbreviate(name))
	}
	return nil
}

func (c *wfCtx) checkParams(ps []wfv1.Parameter, path string, global bool) {
	seen := map[string]bool{}
	for i, p := range ps {
		pp := fmt.Sprintf("%s[%d]", path, i)
		switch err := ValidParamName(p.Name); {
		case p.Name == "":
			c.doc.errorAt(pp, "%v", err)
		case err != nil:
			c.doc.errorAt(pp+".name", "%v", err)
		case seen[p.Name]:
			c.doc.errorAt(pp+".name", "parameter %q is declared twice", p.Name)
		}
		seen[p.Name] = true
		if p.Value != nil && len(p.Enum) > 0 && !isTemplated(string(*p.Value)) && global {
			ok := false
			for _, e := range p.Enum {
				ok = ok || e == *p.Value
			}
			if !ok {
				c.doc.errorAt(pp+".value", "value %q is not one of the allowed values of parameter %q", *p.Value, p.Name)
			}
		}
	}
}

var retryPolicies = []string{wfv1.RetryPolicyAlways, wfv1.RetryPolicyOnFailure, wfv1.RetryPolicyOnError, wfv1.RetryPolicyOnTransientError}

func checkDurationField(d *Document, path string, r *wfv1.RetryStrategy) {
	if r == nil {
		return
	}
	if !containsString(retryPolicies, r.RetryPolicy) {
		d.errorAt(path+".retryPolicy", "retryPolicy must be one of %s, got %q", strings.Join(retryPolicies, ", "), r.RetryPolicy)
	}
	if r.Limit != nil && !r.Limit.IsString && r.Limit.IntVal < 0 {
		d.errorAt(path+".limit", "limit must not be negative")
	}
	if l := r.Limit; l != nil && l.IsString && !isTemplated(l.StrVal) {
		if n, err := strconv.Atoi(l.StrVal); err != nil || n < 0 {
			d.errorAt(path+".limit", "limit %q is not an integer of at least 0", l.StrVal)
		}
	}
	if r.Expression != "" && !isTemplated(r.Expression) {
		if err := expr.Check(r.Expression); err != nil {
			d.errorAt(path+".expression", "%s", strings.SplitN(err.Error(), "\n", 2)[0])
		}
	}
	if r.Limit == nil {
		d.warnAt(path, "retryStrategy with no limit: a step that keeps failing is retried until the workflow passes its node limit (max-nodes, %d by default), which can take an hour; give it a limit",
			DefaultLimits.MaxNodes)
	}
	if b := r.Backoff; b != nil {
		if r.Limit == nil && b.Duration != "" {
			d.warnAt(path+".backoff", "backoff with no limit: Argo then retries at once, without waiting; semaflow waits the backoff before each retry")
		}
		checkDuration(d, path+".backoff.duration", b.Duration)
		checkDuration(d, path+".backoff.maxDuration", b.MaxDuration)
		checkDuration(d, path+".backoff.cap", b.Cap)
	}
}

// checkDuration accepts what Argo accepts: a Go duration ("90s", "1h30m")
// or a bare number of seconds.
func checkDuration(d *Document, path, s string) {
	if s == "" || isTemplated(s) {
		return
	}
	if _, err := ParseDuration(s); err != nil {
		d.errorAt(path, "%v", err)
	}
}

// ParseDuration reads a duration as Argo does: a bare integer is seconds.
func ParseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("duration %q must not be negative", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use a number of seconds or a value such as \"30s\", \"5m\", \"1h\"", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return v, nil
}
