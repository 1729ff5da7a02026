package spec

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// Artifact literals certain to fail at run time, or to put an artifact
// somewhere else, are lint errors naming the field. A value holding a
// placeholder is only known at run time, where the engine checks it.

func literal(s string) bool { return s != "" && !strings.Contains(s, "{{") }

// checkArtifactSpec checks the workflow-level artifact settings.
func (c *wfCtx) checkArtifactSpec(spec *wfv1.WorkflowSpec) {
	if gc := spec.ArtifactGC; gc != nil {
		if err := checkGCStrategy(gc.Strategy); err != nil {
			c.doc.errorAt(c.path+".artifactGC.strategy", "%v", err)
		}
	}
	if ref := spec.ArtifactRepositoryRef; ref != nil && literal(ref.ConfigMap) {
		if err := validSubdomain(ref.ConfigMap, 253); err != nil {
			c.doc.errorAt(c.path+".artifactRepositoryRef.configMap", "ConfigMap name %v (it is read from the workflow's own namespace; a namespace cannot be given)", err)
		}
	}
	c.checkArtifactList(spec.Arguments.Artifacts, c.path+".arguments.artifacts", false)
}

// checkTemplateArtifacts checks t's own artifacts and those its steps or
// tasks pass.
func (c *wfCtx) checkTemplateArtifacts(t *wfv1.Template, tpath string) {
	logs := c.spec.ArchiveLogs != nil && *c.spec.ArchiveLogs
	if l := t.ArchiveLocation; l != nil && l.ArchiveLogs != nil {
		logs = *l.ArchiveLogs
	}
	for _, p := range StoreProblems(t, logs) {
		c.doc.errorAt(tpath+"."+p.Field, "%s", p.Message)
	}
	runs := t.Container != nil || t.Script != nil || t.ContainerSet != nil
	c.checkArtifactList(t.Inputs.Artifacts, tpath+".inputs.artifacts", runs)
	c.checkArtifactList(t.Outputs.Artifacts, tpath+".outputs.artifacts", false)
	for gi, group := range t.Steps {
		for si := range group {
			st := &group[si]
			p := fmt.Sprintf("%s.steps[%d][%d].arguments.artifacts", tpath, gi, si)
			c.checkArtifactList(st.Arguments.Artifacts, p, false)
			c.checkFromRefs(t, st.Arguments.Artifacts, p, gi)
		}
	}
	if t.DAG != nil {
		for ti := range t.DAG.Tasks {
			task := &t.DAG.Tasks[ti]
			p := fmt.Sprintf("%s.dag.tasks[%d].arguments.artifacts", tpath, ti)
			c.checkArtifactList(task.Arguments.Artifacts, p, false)
			c.checkFromRefs(t, task.Arguments.Artifacts, p, -1)
		}
	}
}

// checkArtifactList checks each artifact's literal fields; needPath says
// the artifact is a running template's input, which needs a path.
func (c *wfCtx) checkArtifactList(arts []wfv1.Artifact, base string, needPath bool) {
	d := c.doc
	for i := range arts {
		a := &arts[i]
		p := fmt.Sprintf("%s[%d]", base, i)
		switch {
		case needPath && a.Path == "":
			d.errorAt(p+".path", "input artifact %q has no path: the step would have nowhere to find it", a.Name)
		case literal(a.Path) && kernelFS(a.Path) != "":
			d.errorAt(p+".path", "artifact %q path %q is under %s, which the kernel provides: nothing can be written or read there as a file", a.Name, a.Path, kernelFS(a.Path))
		}
		if literal(a.SubPath) {
			if err := relativeInside(a.SubPath); err != nil {
				d.errorAt(p+".subPath", "artifact %q subPath %q %v", a.Name, a.SubPath, err)
			}
		}
		if a.FromExpression != "" {
			if err := expr.Check(a.FromExpression); err != nil {
				d.errorAt(p+".fromExpression", "artifact %q fromExpression: %v", a.Name, err)
			}
		}
		c.checkLocation(&a.ArtifactLocation, a.Name, p)
	}
}

func (c *wfCtx) checkLocation(l *wfv1.ArtifactLocation, name, p string) {
	d := c.doc
	if s := l.S3; s != nil {
		if literal(s.Key) {
			if err := checkS3Key(s.Key); err != nil {
				d.errorAt(p+".s3.key", "artifact %q s3 key %q: %v", name, s.Key, err)
			}
		}
		for _, u := range []struct {
			field string
			set   bool
			why   string
		}{
			{"roleARN", s.RoleARN != "", "semaflow reads credentials from accessKeySecret and secretKeySecret only"},
			{"useSDKCreds", s.UseSDKCreds, "semaflow reads credentials from accessKeySecret and secretKeySecret only"},
			{"caSecret", s.CASecret != nil, "the host's certificate authorities are used"},
			{"encryptionOptions", len(s.EncryptionOptions) > 0, "objects are not encrypted by semaflow"},
		} {
			if u.set {
				d.errorAt(p+".s3."+u.field, "s3 %s is not supported by semaflow (%s): artifact %q could not be reached", u.field, u.why, name)
			}
		}
		if st := s.AddressingStyle; st != "" && st != "path" && st != "virtual" {
			d.errorAt(p+".s3.addressingStyle", "s3 addressingStyle %q: want path or virtual", st)
		}
	}
	if o := l.HTTP; o != nil {
		c.unknownFields(o, p+".http", httpFields)
		if u, _ := o["url"].(string); literal(u) {
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				d.errorAt(p+".http.url", "artifact %q url %q: want an http:// or https:// URL with a host", name, u)
			}
		}
	}
	if o := l.Git; o != nil {
		c.unknownFields(o, p+".git", gitFields)
		if r, _ := o["repo"].(string); literal(r) {
			switch {
			case strings.HasPrefix(r, "-"):
				d.errorAt(p+".git.repo", "artifact %q git repo %q starts with '-': git would read it as an option", name, r)
			case gitTransport.MatchString(r):
				d.errorAt(p+".git.repo", "artifact %q git repo %q uses a transport (%s) semaflow does not run: use https://, http://, ssh://, git:// or a path", name, r, r[:strings.Index(r, "::")+2])
			}
		}
		for _, f := range []string{"revision", "branch"} {
			if v, _ := o[f].(string); literal(v) && strings.HasPrefix(v, "-") {
				d.errorAt(p+".git."+f, "artifact %q git %s %q starts with '-': git would read it as an option", name, f, v)
			}
		}
	}
}

// gitTransport matches git's "<transport>::<address>" form (ext::, fd::,
// a remote helper), which runs programs rather than fetching.
var gitTransport = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*::`)

// The fields semaflow reads from http and git artifacts
// (internal/artifacts/repos); any other would be ignored.
var (
	httpFields = []string{"url", "headers", "auth", "saveStreamViaFile"}
	gitFields  = []string{"repo", "revision", "depth", "fetch", "usernameSecret", "passwordSecret", "sshPrivateKeySecret",
		"insecureIgnoreHostKey", "disableSubmodules", "singleBranch", "branch", "insecureSkipTLS"}
)

// unknownFields reports every field of o that semaflow does not read,
// not only the first.
func (c *wfCtx) unknownFields(o wfv1.Object, p string, known []string) {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		found := false
		for _, f := range known {
			found = found || f == k
		}
		if !found {
			msg := fmt.Sprintf("unknown field %q", k)
			if s := suggest(k, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			c.doc.errorAt(p+"."+k, "%s", msg)
		}
	}
}

// checkFromRefs checks that each `from: "{{steps.X.outputs.artifacts.Y}}"`
// (or tasks.X) names a step of t calling a template of this workflow
// that declares the output artifact Y. before, for steps, is the group
// of the step passing it: only earlier groups have run.
func (c *wfCtx) checkFromRefs(t *wfv1.Template, arts []wfv1.Artifact, base string, before int) {
	for i, a := range arts {
		m := fromRef.FindStringSubmatch(strings.TrimSpace(a.From))
		if m == nil {
			continue
		}
		kind, child, art := m[1], m[2], m[3]
		tmpl, found := "", false
		switch {
		case kind == "steps":
			for gi, g := range t.Steps {
				for _, s := range g {
					if s.Name == child && (before < 0 || gi < before) {
						tmpl, found = s.Template, true
					}
				}
			}
		case t.DAG != nil:
			for _, task := range t.DAG.Tasks {
				if task.Name == child {
					tmpl, found = task.Template, true
				}
			}
		}
		callee := c.templates[tmpl]
		if !found || callee == nil {
			continue // a missing step is reported by the reference check; templateRef is not resolved here
		}
		declared := false
		for _, o := range callee.Outputs.Artifacts {
			declared = declared || o.Name == art
		}
		if !declared {
			c.doc.errorAt(fmt.Sprintf("%s[%d].from", base, i), "artifact %q: %s %q runs template %q, which declares no output artifact %q",
				a.Name, strings.TrimSuffix(kind, "s"), child, tmpl, art)
		}
	}
}

var fromRef = regexp.MustCompile(`^\{\{\s*(steps|tasks)\.([^.{}]+)\.outputs\.artifacts\.([^{}\s]+)\s*\}\}$`)

// kernelFS is the file system the kernel makes up that p is under, if
// any.
func kernelFS(p string) string {
	c := path.Clean("/" + p)
	if !strings.HasPrefix(p, "/") {
		return ""
	}
	for _, d := range []string{"/proc", "/sys"} {
		if c == d || strings.HasPrefix(c, d+"/") {
			return d
		}
	}
	return ""
}

// relativeInside checks a path that must stay inside what it is
// relative to.
func relativeInside(p string) error {
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("is absolute: it must be relative to the artifact")
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return fmt.Errorf("has a '..' component: it must stay inside the artifact")
		}
	}
	return nil
}

// checkS3Key mirrors the repository's key rule (internal/artifacts).
func checkS3Key(key string) error {
	if strings.HasPrefix(key, "/") {
		return fmt.Errorf("absolute (a key is relative to the repository)")
	}
	for _, part := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
		switch part {
		case "":
			return fmt.Errorf("empty path component")
		case ".", "..":
			return fmt.Errorf("%q component (a key may not leave the repository)", part)
		}
	}
	return nil
}
