package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/semaflow/semaflow/api/wfv1"
)

// DefaultMaxSize is the largest input Parse accepts unless told otherwise.
const DefaultMaxSize = 4 << 20

// Options tune parsing.
type Options struct {
	// MaxSize is the largest input accepted, in bytes; 0 means DefaultMaxSize.
	MaxSize int
	// Namespace is given to objects that do not name one; "" means "default".
	Namespace string
}

// Document is one YAML document of a file: its kind and, when it could be
// decoded, the typed object.
type Document struct {
	File  string
	Index int // position of the document in its file, from 0
	Pos   Pos
	Kind  string
	Name  string

	Workflow  *wfv1.Workflow
	Template  *wfv1.WorkflowTemplate // WorkflowTemplate or ClusterWorkflowTemplate
	Cron      *wfv1.CronWorkflow
	ConfigMap *wfv1.ConfigMap

	Diags Diagnostics
	pos   map[string]Pos
	// keyPos are the positions of fields' names, where a diagnostic about
	// the field itself (not its value) points.
	keyPos map[string]Pos
	// badPaths are fields that failed the schema check; semantic checks
	// stay quiet about them so each mistake is reported once.
	badPaths map[string]bool
	// asString holds the scalars written unquoted where a string is
	// expected, by their node as written, with the text they decode to.
	asString map[*yaml.Node]string
	// badNodes failed the schema check: they are decoded as null, since
	// a value json cannot hold stops the decoding of the object around
	// it, and the fields after it would look missing (a template with no
	// type) when they are not.
	badNodes map[*yaml.Node]bool
}

// Spec returns the WorkflowSpec a document carries, or nil.
func (d *Document) Spec() *wfv1.WorkflowSpec {
	switch {
	case d.Workflow != nil:
		return &d.Workflow.Spec
	case d.Template != nil:
		return &d.Template.Spec
	case d.Cron != nil:
		return &d.Cron.Spec.WorkflowSpec
	}
	return nil
}

// specPath is the field path of the document's WorkflowSpec.
func (d *Document) specPath() string {
	if d.Cron != nil {
		return "spec.workflowSpec"
	}
	return "spec"
}

// Namespace returns the document's namespace after defaulting.
func (d *Document) Namespace() string {
	switch {
	case d.Workflow != nil:
		return d.Workflow.Metadata.Namespace
	case d.Template != nil:
		return d.Template.Metadata.Namespace
	case d.Cron != nil:
		return d.Cron.Metadata.Namespace
	case d.ConfigMap != nil:
		return d.ConfigMap.Metadata.Namespace
	}
	return ""
}

func (d *Document) recordPos(path string, n *yaml.Node) {
	if _, ok := d.pos[path]; !ok {
		d.pos[path] = posOf(n)
	}
}

// PosOf returns the position of the field at path, or of its nearest
// ancestor that has one.
func (d *Document) PosOf(path string) Pos {
	for {
		if p, ok := d.pos[path]; ok {
			return p
		}
		if path == "" {
			return d.Pos
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			path = ""
		} else {
			path = path[:i]
		}
	}
}

// KeyPos returns the position of the name of the field at path, or
// PosOf(path) when it has none (a list element, a field not written).
func (d *Document) KeyPos(path string) Pos {
	if p, ok := d.keyPos[path]; ok {
		return p
	}
	return d.PosOf(path)
}

func (d *Document) addDiag(diag Diagnostic) {
	diag.File = d.File
	d.Diags = append(d.Diags, diag)
}

func (d *Document) errorAt(path, format string, args ...any) {
	if d.badPaths[path] {
		return
	}
	d.addDiag(Diagnostic{Pos: d.PosOf(path), Path: path, Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
}

func (d *Document) warnAt(path, format string, args ...any) {
	d.addDiag(Diagnostic{Pos: d.PosOf(path), Path: path, Severity: SeverityWarning, Message: fmt.Sprintf(format, args...)})
}

// File is a parsed input file.
type File struct {
	Name  string
	Docs  []*Document
	Diags Diagnostics // problems that belong to no single document
}

// AllDiags returns the file's problems and those of its documents, sorted.
func (f *File) AllDiags() Diagnostics {
	out := append(Diagnostics{}, f.Diags...)
	for _, d := range f.Docs {
		out = append(out, d.Diags...)
	}
	out.Sort()
	return out
}

var kindTypes = map[string]reflect.Type{
	wfv1.KindWorkflow:                reflect.TypeFor[wfv1.Workflow](),
	wfv1.KindWorkflowTemplate:        reflect.TypeFor[wfv1.WorkflowTemplate](),
	wfv1.KindClusterWorkflowTemplate: reflect.TypeFor[wfv1.WorkflowTemplate](),
	wfv1.KindCronWorkflow:            reflect.TypeFor[wfv1.CronWorkflow](),
	wfv1.KindConfigMap:               reflect.TypeFor[wfv1.ConfigMap](),
}

var kindNames = []string{wfv1.KindWorkflow, wfv1.KindWorkflowTemplate,
	wfv1.KindClusterWorkflowTemplate, wfv1.KindCronWorkflow, wfv1.KindConfigMap}

// Parse reads every YAML document in data, checks each against its kind's
// schema, decodes it and applies Argo's defaults. It never panics: every
// problem becomes a Diagnostic with a position. Semantic checks across
// documents are done by Validate.
func Parse(name string, data []byte, opts Options) (f *File) {
	f = &File{Name: name}
	maxSize := opts.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if len(data) > maxSize {
		f.Diags = append(f.Diags, Diagnostic{File: name, Severity: SeverityError,
			Message: fmt.Sprintf("file is %d bytes, larger than the limit of %d bytes", len(data), maxSize)})
		return f
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		f.Diags = append(f.Diags, Diagnostic{File: name, Pos: offsetPos(data, i), Severity: SeverityError,
			Message: "file contains a NUL byte: it is binary, not YAML"})
		return f
	}
	defer func() {
		// The YAML library has panicked on hostile input in the past; a
		// manifest must never take the process down.
		if r := recover(); r != nil {
			f.Diags = append(f.Diags, Diagnostic{File: name, Severity: SeverityError,
				Message: fmt.Sprintf("cannot parse YAML: %v", r)})
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Diags = append(f.Diags, yamlError(name, err))
			break
		}
		if doc := parseDoc(name, i, &root, opts); doc != nil {
			f.Docs = append(f.Docs, doc)
		}
	}
	return f
}

func parseDoc(file string, index int, root *yaml.Node, opts Options) *Document {
	n := root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // an empty document between `---` separators
	}
	doc := &Document{File: file, Index: index, Pos: posOf(n), pos: map[string]Pos{}, badPaths: map[string]bool{}}
	if n.Kind != yaml.MappingNode {
		doc.errorAt("", "expected a Kubernetes-style object (apiVersion, kind, metadata, ...), got %s", describe(n))
		return doc
	}
	// Exact names first; then, as Argo's Go decoding does (and the schema
	// check warns), the same names in another case.
	var apiVersion, kind *yaml.Node
	for _, exact := range []bool{true, false} {
		for _, p := range pairs(n) {
			same := func(name string) bool {
				return p.key.Value == name || !exact && strings.EqualFold(p.key.Value, name)
			}
			switch {
			case apiVersion == nil && same("apiVersion"):
				apiVersion = resolve(p.value)
			case kind == nil && same("kind"):
				kind = resolve(p.value)
			}
		}
	}
	if kind == nil || kind.Kind != yaml.ScalarNode || kind.Value == "" {
		doc.errorAt("kind", "missing kind: expected one of %s", strings.Join(kindNames, ", "))
		return doc
	}
	doc.Kind = kind.Value
	t, ok := kindTypes[doc.Kind]
	if !ok {
		msg := fmt.Sprintf("unsupported kind %q: expected one of %s", doc.Kind, strings.Join(kindNames, ", "))
		if s := suggest(doc.Kind, kindNames); s != "" {
			msg = fmt.Sprintf("unsupported kind %q (did you mean %q?)", doc.Kind, s)
		}
		doc.addDiag(Diagnostic{Pos: posOf(kind), Path: "kind", Severity: SeverityError, Message: msg})
		return doc
	}
	wantAPI := wfv1.APIVersion
	if doc.Kind == wfv1.KindConfigMap {
		wantAPI = wfv1.ConfigMapAPI
	}
	if apiVersion == nil || apiVersion.Value != wantAPI {
		got := "nothing"
		if apiVersion != nil {
			got = fmt.Sprintf("%q", apiVersion.Value)
		}
		doc.addDiag(Diagnostic{Pos: posOf(apiVersion), Path: "apiVersion", Severity: SeverityError,
			Message: fmt.Sprintf("apiVersion for kind %s must be %q, got %s", doc.Kind, wantAPI, got)})
	}
	c := &checker{doc: doc}
	c.check(n, t, "", 0)
	if err := decodeInto(doc, n, t); err != nil {
		if !doc.Diags.HasErrors() {
			doc.errorAt("", "cannot decode %s: %v", doc.Kind, err)
		}
		return doc
	}
	applyDefaults(doc, opts)
	checkDocMeta(doc)
	return doc
}

// decodeInto converts the node to JSON and decodes it into a new value of
// type t, storing it in the document.
func decodeInto(doc *Document, n *yaml.Node, t reflect.Type) error {
	var buf bytes.Buffer
	w := jsonWriter{asString: doc.asString, asNull: doc.badNodes}
	if err := w.write(n, &buf, 0); err != nil {
		return err
	}
	v := reflect.New(t)
	err := json.Unmarshal(buf.Bytes(), v.Interface())
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return err
	}
	// The schema walk has already reported type mismatches with their
	// positions; json fills in everything else, so the document can still
	// be checked for other problems.
	if err != nil && !doc.Diags.HasErrors() {
		return err
	}
	switch obj := v.Interface().(type) {
	case *wfv1.Workflow:
		doc.Workflow, doc.Name = obj, objName(obj.Metadata)
	case *wfv1.WorkflowTemplate:
		doc.Template, doc.Name = obj, objName(obj.Metadata)
	case *wfv1.CronWorkflow:
		doc.Cron, doc.Name = obj, objName(obj.Metadata)
	case *wfv1.ConfigMap:
		doc.ConfigMap, doc.Name = obj, objName(obj.Metadata)
	}
	return nil
}

func objName(m wfv1.ObjectMeta) string {
	if m.Name != "" {
		return m.Name
	}
	return m.GenerateName
}

func yamlError(file string, err error) Diagnostic {
	d := Diagnostic{File: file, Severity: SeverityError, Message: "malformed YAML: " + err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return d
	}
	// The library reports "yaml: line N: ..."; lift the line into the position.
	msg := err.Error()
	var line int
	if _, scanErr := fmt.Sscanf(msg, "yaml: line %d:", &line); scanErr == nil && line > 0 {
		d.Pos = Pos{Line: line, Col: 1}
		if _, rest, ok := strings.Cut(msg, ": line "); ok {
			if _, after, ok := strings.Cut(rest, ": "); ok {
				d.Message = "malformed YAML: " + after
			}
		}
	}
	return d
}

func offsetPos(data []byte, off int) Pos {
	line := 1 + countLineBreaks(data[:off])
	col := off - max(bytes.LastIndexByte(data[:off], '\n'), bytes.LastIndexByte(data[:off], '\r'))
	return Pos{Line: line, Col: col}
}

// countLineBreaks counts line breaks as YAML defines them (LF, CRLF and a
// lone CR), so our line numbers agree with the YAML library's.
func countLineBreaks(b []byte) int {
	n := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\n':
			n++
		case '\r':
			n++
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		}
	}
	return n
}
