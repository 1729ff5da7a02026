package spec

import (
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo's controller, its e2e fixture and Go clients decode manifests with
// sigs.k8s.io/yaml and encoding/json, which are lenient in two ways that
// Argo's own tests rely on: an unquoted number or boolean becomes the string
// a string field expects, and a field name matches in any case. `argo
// submit` (strict by default) refuses both. semaflow accepts what Argo's
// decoding accepts, reads it the same way, and lint warns, so the manifest
// can be fixed before another tool refuses it.

// scalarAsString accepts the non-string scalar n where a string is expected,
// converting it as sigs.k8s.io/yaml does for a string target; written is
// the node as written (an alias, or n itself).
func (c *checker) scalarAsString(written, n *yaml.Node, path string) {
	s, ok := argoScalarString(n)
	if !ok {
		c.errorf(n, path, "expected a string, got %s (quote it: %q)", describe(n), n.Value)
		return
	}
	if c.doc.asString == nil {
		c.doc.asString = map[*yaml.Node]string{}
	}
	c.doc.asString[written] = s
	c.doc.addDiag(Diagnostic{Pos: posOf(n), Path: path, Severity: SeverityWarning, Message: "unquoted " +
		describe(n) + " where a string is expected: read as the string " + strconv.Quote(s) +
		", as Argo's Go decoding reads it (argo submit refuses it); quote it"})
}

// argoScalarString is the string sigs.k8s.io/yaml gives a string field for
// an integer, float or boolean scalar.
func argoScalarString(n *yaml.Node) (string, bool) {
	v := strings.ReplaceAll(n.Value, "_", "")
	switch n.ShortTag() {
	case "!!int":
		if i, err := strconv.ParseInt(v, 0, 64); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		if u, err := strconv.ParseUint(v, 0, 64); err == nil {
			return strconv.FormatUint(u, 10), true
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 32), true
		}
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return strconv.FormatBool(b), true
		}
	}
	return "", false
}

// otherCase finds the field that key names in another case, as
// encoding/json matches it. It warns, or, when the object also has the
// field spelled exactly, reports the pair as an error.
func (c *checker) otherCase(obj, key *yaml.Node, info *structInfo, path string) (fieldInfo, bool) {
	for _, name := range info.names {
		if !strings.EqualFold(name, key.Value) {
			continue
		}
		fieldPath := joinPath(path, key.Value)
		c.doc.recordPos(fieldPath, key)
		for _, p := range pairs(obj) {
			if p.key.Value == name {
				c.errorf(key, fieldPath, "field %q appears twice in the same object, as %q and %q", name, name, key.Value)
				return info.fields[name], true
			}
		}
		c.doc.addDiag(Diagnostic{Pos: posOf(key), Path: fieldPath, Severity: SeverityWarning,
			Message: "field " + strconv.Quote(key.Value) + " is read as " + strconv.Quote(name) +
				", as Argo's Go decoding matches field names in any case (argo submit refuses it); write " + strconv.Quote(name)})
		return info.fields[name], true
	}
	return fieldInfo{}, false
}

// misplacedOnTemplate explains fields that Argo has on the steps, tasks and
// hooks that call a template, not on the template: Argo's server and `argo
// submit` refuse them, and its lenient decoders drop them without a word.
var misplacedOnTemplate = map[string]string{
	"hooks": "a template has no hooks; they go on a step, a DAG task or spec.hooks " +
		"(Argo refuses them here too, or its lenient decoding drops them and the hook never runs)",
	"templateRef": "a template cannot point at another template; templateRef goes on a step, a DAG task or a hook " +
		"that calls it (Argo's server refuses it here too; a workflow that gets past it fails with " +
		`"invalid spec: templates.NAME template type unspecified")`,
	"onExit": "a template has no onExit; it goes on a step, a DAG task or spec.onExit",
}

// misplaced returns why field key does not belong in an object of type t,
// or "" when there is nothing more to say than "unknown field".
func misplaced(t reflect.Type, key string) string {
	if t == reflect.TypeFor[wfv1.Template]() {
		return misplacedOnTemplate[key]
	}
	return ""
}
