package spec

import (
	"strings"
	"testing"
)

// Names end up in step directories and lock keys: anything Kubernetes
// would refuse as a name, namespace or label is an error on its field.
func TestMetadataNamesAreChecked(t *testing.T) {
	spec := "spec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: a}}\n"
	wf := func(meta string) string {
		return "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n" + meta + spec
	}
	long := strings.Repeat("a", 254)
	cases := []struct {
		name, src, path string // path "" means no error at all
	}{
		{"traversal", wf("  name: ../../../victim\n"), "metadata.name"},
		{"dot dot", wf("  name: ..\n"), "metadata.name"},
		{"dot", wf("  name: .\n"), "metadata.name"},
		{"slash", wf("  name: a/b\n"), "metadata.name"},
		{"upper case", wf("  name: Hello\n"), "metadata.name"},
		{"escape", wf("  name: \"a\\e]0;pwned\\a\"\n"), "metadata.name"},
		{"too long", wf("  name: " + long + "\n"), "metadata.name"},
		{"longest", wf("  name: " + long[:253] + "\n"), ""},
		{"dotted", wf("  name: a.b-c\n"), ""},
		{"generateName", wf("  generateName: hello-\n"), ""},
		{"bad generateName", wf("  generateName: ../x-\n"), "metadata.generateName"},
		{"generateName too long for its suffix", wf("  generateName: " + long[:249] + "\n"), "metadata.generateName"},
		{"namespace", wf("  name: a\n  namespace: team-a\n"), ""},
		{"namespace traversal", wf("  name: a\n  namespace: ../x\n"), "metadata.namespace"},
		{"namespace with a dot", wf("  name: a\n  namespace: a.b\n"), "metadata.namespace"},
		{"namespace too long", wf("  name: a\n  namespace: " + long[:64] + "\n"), "metadata.namespace"},
		{"labels", wf("  name: a\n  labels: {app.kubernetes.io/name: web, tier: Front_1.x, empty: \"\"}\n"), ""},
		{"label key", wf("  name: a\n  labels: {\"bad key\": x}\n"), "metadata.labels"},
		{"label key prefix", wf("  name: a\n  labels: {\"../x/y\": x}\n"), "metadata.labels"},
		{"label value", wf("  name: a\n  labels: {k: \"a b\"}\n"), "metadata.labels.k"},
		{"label value too long", wf("  name: a\n  labels: {k: " + long[:64] + "}\n"), "metadata.labels.k"},
		{"template", "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: ..}\n" + spec, "metadata.name"},
		{"cluster template", "apiVersion: argoproj.io/v1alpha1\nkind: ClusterWorkflowTemplate\nmetadata: {name: a/b}\n" + spec, "metadata.name"},
		{"cron", "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: ..}\nspec:\n  schedules: ['* * * * *']\n  workflowSpec:\n    entrypoint: main\n    templates:\n    - {name: main, container: {image: a}}\n", "metadata.name"},
		{"cron child labels", "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: c}\nspec:\n  schedules: ['* * * * *']\n  workflowMetadata: {labels: {k: \"a b\"}}\n  workflowSpec:\n    entrypoint: main\n    templates:\n    - {name: main, container: {image: a}}\n", "spec.workflowMetadata.labels.k"},
		{"configmap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ../cm}\ndata: {k: \"1\"}\n", "metadata.name"},
		{"configmap namespace", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ..}\ndata: {k: \"1\"}\n", "metadata.namespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Parse alone must catch it: ConfigMaps are applied after
			// Parse without Validate.
			diags := Parse("test.yaml", []byte(c.src), Options{}).AllDiags()
			var errs []Diagnostic
			for _, d := range diags {
				if d.Severity == SeverityError {
					errs = append(errs, d)
				}
			}
			if c.path == "" {
				if len(errs) > 0 {
					t.Fatalf("want no error, got %v", Diagnostics(errs))
				}
				return
			}
			if len(errs) != 1 || errs[0].Path != c.path {
				t.Fatalf("want one error at %s, got %v", c.path, Diagnostics(errs))
			}
			if strings.ContainsAny(errs[0].Message, "\x1b\a") {
				t.Fatalf("message carries control characters: %q", errs[0].Message)
			}
		})
	}
}

// A bad generateName is quoted as written, not as the name made up to
// check it, and the message says it is a generateName.
func TestGenerateNameErrorQuotesTheValueSent(t *testing.T) {
	for _, prefix := range []string{"A-", "a_b-", strings.Repeat("x", 249) + "-"} {
		err := ValidGenerateName(prefix)
		if err == nil {
			t.Fatalf("%q: accepted", prefix)
		}
		msg := err.Error()
		masked := prefix[:len(prefix)-1] + "a"
		if !strings.Contains(msg, "generateName") || !strings.Contains(msg, `"`+abbreviate(prefix)+`"`) || strings.Contains(msg, `"`+masked+`"`) {
			t.Errorf("%q: %q, want the generateName as sent", prefix, msg)
		}
	}
}
