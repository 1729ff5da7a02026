package spec

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/images"
)

// noteOf lints the files as one set, as run does, and returns the image
// warnings.
func noteOf(t *testing.T, table *images.Table, srcs ...string) Diagnostics {
	t.Helper()
	var files []*File
	for i, src := range srcs {
		files = append(files, Parse("f"+string(rune('0'+i))+".yaml", []byte(src), Options{}))
	}
	set := NewSet(files...)
	set.Images = table
	set.Validate()
	set.NoteImages()
	var out Diagnostics
	for _, d := range set.Diagnostics() {
		if strings.Contains(d.Message, "recorded, not used") {
			out = append(out, d)
		}
	}
	return out
}

func TestImageNote(t *testing.T) {
	user, err := images.Parse("images.yaml", []byte("images:\n- {image: myorg/tool, entrypoint: [/usr/bin/tool]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		table *images.Table
		srcs  []string
		path  string // "" when no warning is wanted
		says  []string
		not   []string
	}{
		{"one image", nil, []string{wfWith(mainTmpl)}, "spec.templates[0].container.image",
			[]string{`image "a" is recorded, not used: steps run on this host, with the host's programs`}, []string{"image table"}},
		{"no image, no warning", nil, []string{wfWith("  templates:\n  - name: main\n    container: {command: [echo]}\n")}, "", nil, nil},
		{"images of every file, once", nil, []string{
			wfWith(mainTmpl),
			wfWith("  templates:\n  - name: main\n    script: {image: python:3.12, command: [python], source: x}\n  - name: b\n    container: {image: a, command: [echo]}\n"),
		}, "spec.templates[0].container.image", []string{`images a, python:3.12 are recorded, not used`}, []string{"image table"}},
		{"an emulated entrypoint is named", nil, []string{wfWith("  templates:\n  - name: main\n    container: {image: argoproj/argosay:v2, args: [echo, hi]}\n" +
			"  - name: b\n    container: {image: alpine:3.19, args: [echo]}\n  - name: c\n    container: {image: python:3.12, command: [python3]}\n")},
			"spec.templates[0].container.image",
			[]string{"images argoproj/argosay:v2, alpine:3.19, python:3.12 are recorded", "the image table stands in for the entrypoint: " +
				`argoproj/argosay:v2 runs semaflow's built-in argosay, alpine:3.19 runs "/bin/sh"`},
			[]string{`python:3.12 runs`}},
		{"whalesay's served programs", nil, []string{wfWith("  templates:\n  - name: main\n    container: {image: docker/whalesay}\n")},
			"spec.templates[0].container.image", []string{`docker/whalesay runs "/bin/bash" (with cowsay and argosay served by semaflow)`}, nil},
		{"the user's table", user, []string{wfWith("  templates:\n  - name: main\n    container: {image: myorg/tool:1, args: [go]}\n")},
			"spec.templates[0].container.image", []string{`myorg/tool:1 runs "/usr/bin/tool"`}, nil},
		{"an image the table lacks is only named", nil, []string{wfWith("  templates:\n  - name: main\n    container: {image: mine, args: [ls]}\n")},
			"spec.templates[0].container.image", []string{`image "mine" is recorded`}, []string{"image table"}},
		{"sidecars and inline templates count", nil, []string{wfWith("  templates:\n  - name: main\n    steps:\n    - - name: s\n        inline: {container: {image: inl, command: [x]}}\n")},
			"spec.templates[0].steps[0][0].inline.container.image", []string{`image "inl"`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := noteOf(t, tc.table, tc.srcs...)
			if tc.path == "" {
				if len(ds) != 0 {
					t.Fatalf("want no image warning, got:\n%s", ds.Error())
				}
				return
			}
			if len(ds) != 1 || ds[0].Path != tc.path || ds[0].Severity != SeverityWarning || ds[0].File != "f0.yaml" {
				t.Fatalf("want one warning at f0.yaml %s, got:\n%s", tc.path, ds.Error())
			}
			for _, s := range tc.says {
				if !strings.Contains(ds[0].Message, s) {
					t.Errorf("message lacks %q: %s", s, ds[0].Message)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(ds[0].Message, s) {
					t.Errorf("message has %q: %s", s, ds[0].Message)
				}
			}
		})
	}
}

// Many images are named up to a bound.
func TestImageNoteBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("  templates:\n")
	for i := range 12 {
		b.WriteString("  - {name: t" + string(rune('a'+i)) + ", container: {image: img" + string(rune('a'+i)) + ", command: [x]}}\n")
	}
	ds := noteOf(t, nil, wfHeader+"spec:\n  entrypoint: ta\n"+b.String())
	if len(ds) != 1 || !strings.Contains(ds[0].Message, "imgh and 4 more are recorded") {
		t.Fatalf("got:\n%s", ds.Error())
	}
}
