package spec

import (
	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/images"
)

// Set is a group of documents checked together, such as the files given to
// one `lint` or `run`, so that a Workflow can refer to a WorkflowTemplate or
// ConfigMap in another document.
type Set struct {
	Files []*File
	// Applied, when set, finds objects outside the set (for example those
	// already applied to a server). It returns nil when there is none.
	Applied Lookup
	// Limits are those of the engine the set is meant for: lint refuses
	// a loop whose literal size is over them.
	Limits Limits
	// Images is the image table steps will run with (nil: the
	// built-ins), for the warning that names what it stands in for.
	Images *images.Table
	// DBLimits, when set, finds database semaphore limits (else Applied,
	// when it does).
	DBLimits DatabaseLimits

	templates  map[string]*wfv1.WorkflowTemplate
	clusterTpl map[string]*wfv1.WorkflowTemplate
	configMaps map[string]*wfv1.ConfigMap
	// dbLocks are the literal database locks Validate saw, by
	// <ns>/<name>.
	dbLocks map[string]*dbUse
}

// Lookup finds objects that are not in a Set.
type Lookup interface {
	WorkflowTemplate(namespace, name string, cluster bool) *wfv1.WorkflowTemplate
	ConfigMap(namespace, name string) *wfv1.ConfigMap
}

// NewSet indexes the documents of the given files.
func NewSet(files ...*File) *Set {
	s := &Set{Files: files, templates: map[string]*wfv1.WorkflowTemplate{},
		clusterTpl: map[string]*wfv1.WorkflowTemplate{}, configMaps: map[string]*wfv1.ConfigMap{}}
	for _, f := range files {
		for _, d := range f.Docs {
			switch {
			case d.Template != nil && d.Kind == wfv1.KindClusterWorkflowTemplate:
				s.clusterTpl[d.Template.Metadata.Name] = d.Template
			case d.Template != nil:
				s.templates[d.Template.Metadata.Namespace+"/"+d.Template.Metadata.Name] = d.Template
			case d.ConfigMap != nil:
				s.configMaps[d.ConfigMap.Metadata.Namespace+"/"+d.ConfigMap.Metadata.Name] = d.ConfigMap
			}
		}
	}
	return s
}

// WorkflowTemplate finds a (Cluster)WorkflowTemplate in the set or, failing
// that, through Applied.
func (s *Set) WorkflowTemplate(namespace, name string, cluster bool) *wfv1.WorkflowTemplate {
	if cluster {
		if t := s.clusterTpl[name]; t != nil {
			return t
		}
	} else if t := s.templates[namespace+"/"+name]; t != nil {
		return t
	}
	if s.Applied != nil {
		return s.Applied.WorkflowTemplate(namespace, name, cluster)
	}
	return nil
}

// ConfigMap finds a ConfigMap in the set or through Applied.
func (s *Set) ConfigMap(namespace, name string) *wfv1.ConfigMap {
	if c := s.configMaps[namespace+"/"+name]; c != nil {
		return c
	}
	if s.Applied != nil {
		return s.Applied.ConfigMap(namespace, name)
	}
	return nil
}

// Diagnostics returns every problem in the set, sorted.
func (s *Set) Diagnostics() Diagnostics {
	var out Diagnostics
	for _, f := range s.Files {
		out = append(out, f.AllDiags()...)
	}
	out.Sort()
	return out
}

// Validate runs the semantic checks on every document of the set and
// records the problems on the documents.
func (s *Set) Validate() {
	s.dbLocks = nil
	for _, f := range s.Files {
		for _, d := range f.Docs {
			validateDoc(s, d)
		}
	}
	s.checkLockGraph()
	s.checkDatabaseNames()
}
