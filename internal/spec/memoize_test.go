package spec

import "testing"

// memoizeSrc is a workflow whose template memoizes with block.
func memoizeSrc(block string) string {
	return wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    inputs: {parameters: [{name: m, value: x}]}
    memoize:
` + block + `
    container: {image: a, command: [echo]}
`
}

func TestMemoizeLint(t *testing.T) {
	cases := []struct {
		name  string
		block string
		want  string // "" : no diagnostic at all
	}{
		{"good", "      key: \"k-{{inputs.parameters.m}}\"\n      maxAge: 10m\n      cache: {configMap: {name: c}}", ""},
		{"no maxAge", "      key: k\n      cache: {configMap: {name: c}}", ""},
		{"templated maxAge", "      key: k\n      maxAge: \"{{inputs.parameters.m}}\"\n      cache: {configMap: {name: c}}", ""},
		{"key missing", "      maxAge: 10m\n      cache: {configMap: {name: c}}",
			"spec.templates[0].memoize.key: memoize.key is required"},
		{"key Argo refuses", "      key: a_b.c\n      cache: {configMap: {name: c}}",
			`spec.templates[0].memoize.key: memoize key "a_b.c" is not one Argo's caches accept`},
		{"cache missing", "      key: k",
			"spec.templates[0].memoize.cache: memoize.cache.configMap.name is required"},
		{"cache name missing", "      key: k\n      cache: {configMap: {}}",
			"spec.templates[0].memoize.cache: memoize.cache.configMap.name is required"},
		{"maxAge not a duration", "      key: k\n      maxAge: soon\n      cache: {configMap: {name: c}}",
			`spec.templates[0].memoize.maxAge: invalid memoize maxAge "soon"`},
		{"maxAge a bare number", "      key: k\n      maxAge: \"60\"\n      cache: {configMap: {name: c}}",
			`spec.templates[0].memoize.maxAge: invalid memoize maxAge "60": Argo reads a duration with a unit, such as "60s"`},
		{"maxAge negative", "      key: k\n      maxAge: -1h\n      cache: {configMap: {name: c}}",
			`spec.templates[0].memoize.maxAge: memoize maxAge "-1h" must not be negative`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diags := lintString(t, memoizeSrc(tc.block))
			if tc.want == "" {
				if len(diags) != 0 {
					t.Fatalf("want no diagnostics, got:\n%s", diags.Error())
				}
				return
			}
			for _, d := range diags {
				if d.Severity == SeverityError && matchDiag(d, tc.want) {
					return
				}
			}
			t.Fatalf("want error %q, got:\n%s", tc.want, diags.Error())
		})
	}
}
