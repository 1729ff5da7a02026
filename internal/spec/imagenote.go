package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// maxImagesNamed bounds the images one warning lists.
const maxImagesNamed = 8

// imageUse is where an image is first named, and whether some container
// naming it has no command, so that what it runs comes from the image
// table (the image's entrypoint, as semaflow emulates it).
type imageUse struct {
	doc       *Document
	path      string
	noCommand bool
}

// NoteImages warns once for the whole set (one run, submit or lint) that
// images are recorded, not used, naming them: Argo pulls and runs each
// image, semaflow runs the host's programs. For an image whose entrypoint
// a command-less container relies on, it says what the table runs instead.
// It is not part of Validate: it is said once per run, not per object
// (the server, which checks one object per request, does not say it).
func (s *Set) NoteImages() {
	var order []string
	uses := map[string]*imageUse{}
	for _, f := range s.Files {
		for _, d := range f.Docs {
			sp := d.Spec()
			if sp == nil {
				continue
			}
			eachContainer(sp, d.specPath(), func(c *wfv1.Container, path string, script bool) {
				if c.Image == "" {
					return
				}
				u := uses[c.Image]
				if u == nil {
					u = &imageUse{doc: d, path: path + ".image"}
					uses[c.Image] = u
					order = append(order, c.Image)
				}
				u.noCommand = u.noCommand || !script && len(c.Command) == 0
			})
		}
	}
	if len(order) == 0 {
		return
	}
	var emulated []string
	for _, img := range order {
		if !uses[img].noCommand {
			continue
		}
		if how := s.emulation(img); how != "" {
			emulated = append(emulated, img+" runs "+how)
		}
	}
	first := uses[order[0]]
	what := "image " + strconv.Quote(order[0]) + " is"
	if len(order) > 1 {
		what = fmt.Sprintf("images %s are", joinNames(order, maxImagesNamed))
	}
	msg := what + " recorded, not used: steps run on this host, with the host's programs"
	if len(emulated) > 0 {
		msg += "; for a container with no command the image table stands in for the entrypoint: " + joinNames(emulated, maxImagesNamed)
	}
	first.doc.addDiag(Diagnostic{Pos: first.doc.KeyPos(first.path), Path: first.path, Severity: SeverityWarning, Message: msg})
}

// emulation says what the image table runs for a container of image with
// no command, or "" when the table has no entry for it.
func (s *Set) emulation(image string) string {
	t := s.Images
	if t.IsArgosay(image) {
		return "semaflow's built-in argosay"
	}
	e, ok := t.Lookup(image)
	if !ok {
		return ""
	}
	argv := strings.Join(append(append([]string{}, e.Entrypoint...), e.Cmd...), " ")
	if t.ServesPrograms(image) {
		return strconv.Quote(argv) + " (with cowsay and argosay served by semaflow)"
	}
	return strconv.Quote(argv)
}

// eachContainer calls fn for every container of the spec's templates,
// inline ones included; script says the container is a script's, whose
// program is its source.
func eachContainer(sp *wfv1.WorkflowSpec, base string, fn func(c *wfv1.Container, path string, script bool)) {
	var tmpl func(t *wfv1.Template, path string, depth int)
	tmpl = func(t *wfv1.Template, path string, depth int) {
		if depth > maxInlineDepth {
			return
		}
		switch {
		case t.Container != nil:
			fn(t.Container, path+".container", false)
		case t.Script != nil:
			fn(&t.Script.Container, path+".script", true)
		case t.ContainerSet != nil:
			for i := range t.ContainerSet.Containers {
				fn(&t.ContainerSet.Containers[i].Container, fmt.Sprintf("%s.containerSet.containers[%d]", path, i), false)
			}
		}
		for i := range t.InitContainers {
			fn(&t.InitContainers[i], fmt.Sprintf("%s.initContainers[%d]", path, i), false)
		}
		for i := range t.Sidecars {
			fn(&t.Sidecars[i], fmt.Sprintf("%s.sidecars[%d]", path, i), false)
		}
		for gi, group := range t.Steps {
			for si := range group {
				if in := group[si].Inline; in != nil {
					tmpl(in, fmt.Sprintf("%s.steps[%d][%d].inline", path, gi, si), depth+1)
				}
			}
		}
		if t.DAG != nil {
			for ti := range t.DAG.Tasks {
				if in := t.DAG.Tasks[ti].Inline; in != nil {
					tmpl(in, fmt.Sprintf("%s.dag.tasks[%d].inline", path, ti), depth+1)
				}
			}
		}
	}
	for i := range sp.Templates {
		tmpl(&sp.Templates[i], fmt.Sprintf("%s.templates[%d]", base, i), 0)
	}
}
