package spec

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Kubernetes' limits on object names (apimachinery validation): names end
// up in step directories, lock keys and log lines, so anything a
// Kubernetes API server would refuse is refused here too.
const (
	MaxNameLength      = 253 // a DNS-1123 subdomain
	MaxNamespaceLength = 63  // a DNS-1123 label
	maxLabelValue      = 63
	maxQualifiedName   = 63

	// generatedSuffix is how many characters the engine appends to a
	// generateName; cronSuffix is the "-<unix seconds>" a CronWorkflow
	// appends to its name.
	generatedSuffix = 5
	cronSuffix      = 11
)

var (
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	qualifiedName    = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	// fieldName is Argo's shape for template, step and task names.
	fieldName = regexp.MustCompile(`^[a-zA-Z0-9][-a-zA-Z0-9]*$`)
)

// maxFieldName is Argo's limit on template, step and task names.
const maxFieldName = 128

// ValidFieldName says why name is not a valid template, step or task
// name, as Argo checks them: node names, `steps.NAME.outputs` and
// `tasks.NAME` references are built from these, so a '.', a '/' or a
// newline in one breaks them (and reaches logs and terminals raw).
func ValidFieldName(name string) error {
	switch {
	case len(name) > maxFieldName:
		return fmt.Errorf("name %q is %d characters long, more than %d", abbreviate(name), len(name), maxFieldName)
	case !fieldName.MatchString(name):
		return fmt.Errorf("name %q must consist of letters, digits and '-', starting with a letter or digit", abbreviate(name))
	}
	return nil
}

// ValidName says why name is not a valid object name (a DNS-1123
// subdomain of at most 253 characters), or returns nil.
func ValidName(name string) error {
	return validSubdomain(name, MaxNameLength)
}

func validSubdomain(name string, maxLen int) error {
	switch {
	case name == "":
		return fmt.Errorf("must not be empty")
	case len(name) > maxLen:
		return fmt.Errorf("%q is %d characters long, more than %d", abbreviate(name), len(name), maxLen)
	case !dns1123Subdomain.MatchString(name):
		return fmt.Errorf("%q is not a DNS-1123 subdomain: only lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", abbreviate(name))
	}
	return nil
}

// ValidGenerateName checks a generateName prefix: the name made from it
// by appending the engine's random suffix must be valid.
func ValidGenerateName(prefix string) error {
	// As Kubernetes does: a trailing '-' is fine in a prefix, since a
	// suffix follows it.
	masked := prefix
	if strings.HasSuffix(masked, "-") {
		masked = masked[:len(masked)-1] + "a"
	}
	// The errors quote the prefix as written: the masked name is ours.
	switch maxLen := MaxNameLength - generatedSuffix; {
	case len(prefix) > maxLen:
		return fmt.Errorf("generateName %q is %d characters long, more than %d (the name gets a %d-character suffix)", abbreviate(prefix), len(prefix), maxLen, generatedSuffix)
	case !dns1123Subdomain.MatchString(masked):
		return fmt.Errorf("generateName %q does not start a DNS-1123 subdomain: only lower-case letters, digits, '-' and '.', starting with a letter or digit and ending with one or '-'", abbreviate(prefix))
	}
	return nil
}

// ValidNamespace says why ns is not a valid namespace (a DNS-1123 label
// of at most 63 characters), or returns nil.
func ValidNamespace(ns string) error {
	switch {
	case ns == "":
		return fmt.Errorf("must not be empty")
	case len(ns) > MaxNamespaceLength:
		return fmt.Errorf("%q is %d characters long, more than %d", abbreviate(ns), len(ns), MaxNamespaceLength)
	case !dns1123Label.MatchString(ns):
		return fmt.Errorf("%q is not a DNS-1123 label: only lower-case letters, digits and '-', starting and ending with a letter or digit", abbreviate(ns))
	}
	return nil
}

// ValidLabelKey checks a label key as Kubernetes does: an optional
// DNS-1123 subdomain prefix and '/', then a name of at most 63 characters
// of letters, digits, '-', '_' and '.', starting and ending alphanumeric.
func ValidLabelKey(key string) error {
	name := key
	if prefix, rest, ok := strings.Cut(key, "/"); ok {
		if err := validSubdomain(prefix, MaxNameLength); err != nil {
			return fmt.Errorf("prefix of %q: %w", abbreviate(key), err)
		}
		name = rest
	}
	switch {
	case name == "":
		return fmt.Errorf("%q has an empty name part", abbreviate(key))
	case len(name) > maxQualifiedName:
		return fmt.Errorf("name part of %q is %d characters long, more than %d", abbreviate(key), len(name), maxQualifiedName)
	case !qualifiedName.MatchString(name):
		return fmt.Errorf("%q is not a qualified name: only letters, digits, '-', '_' and '.', starting and ending with a letter or digit", abbreviate(key))
	}
	return nil
}

// ValidLabelValue checks a label value: empty, or at most 63 letters,
// digits, '-', '_' and '.', starting and ending alphanumeric.
func ValidLabelValue(v string) error {
	switch {
	case v == "":
		return nil
	case len(v) > maxLabelValue:
		return fmt.Errorf("%q is %d characters long, more than %d", abbreviate(v), len(v), maxLabelValue)
	case !qualifiedName.MatchString(v):
		return fmt.Errorf("%q is not a valid label value: only letters, digits, '-', '_' and '.', starting and ending with a letter or digit", abbreviate(v))
	}
	return nil
}

// abbreviate keeps messages short and free of control characters: a
// hostile name is quoted by %q, and a long one is cut.
func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// CheckMeta checks the names, namespace and labels of an object's
// metadata, naming the field of each problem (path is where the metadata
// sits, e.g. "metadata"). suffix is how many characters the engine will
// append to the name (a CronWorkflow's timestamp), 0 for none.
func CheckMeta(m *wfv1.ObjectMeta, path string, suffix int) []FieldError {
	var errs []FieldError
	add := func(field string, err error) {
		if err != nil {
			errs = append(errs, FieldError{Path: path + "." + field, Err: err})
		}
	}
	if m.Name != "" {
		add("name", validSubdomain(m.Name, MaxNameLength-suffix))
	}
	if m.GenerateName != "" {
		add("generateName", ValidGenerateName(m.GenerateName))
	}
	if m.Namespace != "" {
		add("namespace", ValidNamespace(m.Namespace))
	}
	errs = append(errs, checkLabels(m.Labels, path+".labels")...)
	errs = append(errs, CheckAnnotations(m.Annotations, path+".annotations")...)
	return errs
}

func checkLabels(labels map[string]string, path string) []FieldError {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []FieldError
	for _, k := range keys {
		if err := ValidLabelKey(k); err != nil {
			errs = append(errs, FieldError{Path: path, Err: fmt.Errorf("label key %w", err)})
			continue
		}
		if err := ValidLabelValue(labels[k]); err != nil {
			errs = append(errs, FieldError{Path: path + "." + k, Err: fmt.Errorf("label value %w", err)})
		}
	}
	return errs
}

// MaxAnnotationBytes is Kubernetes' bound on an object's annotations,
// keys and values together.
const MaxAnnotationBytes = 256 << 10

// CheckAnnotations checks annotations as Kubernetes does: each key a
// label key (qualified name with an optional prefix), and all of them,
// keys and values, at most MaxAnnotationBytes. Values are free text.
func CheckAnnotations(notes map[string]string, path string) []FieldError {
	var errs []FieldError
	size := 0
	for _, k := range sortedKeys(notes) {
		size += len(k) + len(notes[k])
		if err := ValidLabelKey(k); err != nil {
			errs = append(errs, FieldError{Path: path, Err: fmt.Errorf("annotation key %w", err)})
		}
	}
	if size > MaxAnnotationBytes {
		errs = append(errs, FieldError{Path: path, Err: fmt.Errorf("annotations are %d bytes, keys and values together, over %d (256 KiB)", size, MaxAnnotationBytes)})
	}
	return errs
}

// FieldError is a problem with one field.
type FieldError struct {
	Path string
	Err  error
}

func (e FieldError) Error() string { return e.Path + ": " + e.Err.Error() }

// checkDocMeta reports the metadata problems of a decoded document.
func checkDocMeta(d *Document) {
	var errs []FieldError
	switch {
	case d.Workflow != nil:
		errs = CheckMeta(&d.Workflow.Metadata, "metadata", 0)
	case d.Template != nil:
		errs = CheckMeta(&d.Template.Metadata, "metadata", 0)
	case d.Cron != nil:
		errs = CheckMeta(&d.Cron.Metadata, "metadata", cronSuffix)
		if wm := d.Cron.Spec.WorkflowMetadata; wm != nil {
			errs = append(errs, checkLabels(wm.Labels, "spec.workflowMetadata.labels")...)
			errs = append(errs, CheckAnnotations(wm.Annotations, "spec.workflowMetadata.annotations")...)
		}
	case d.ConfigMap != nil:
		errs = CheckMeta(&d.ConfigMap.Metadata, "metadata", 0)
	}
	for _, e := range errs {
		d.errorAt(e.Path, "%v", e.Err)
	}
}
