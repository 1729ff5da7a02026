package reconcile

import (
	"reflect"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo's test/e2e/functional/template-default-image.yaml: defaults for
// both script and container templates, and a steps template that must
// receive neither.
const templateDefaultImage = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: template-default-
spec:
  entrypoint: entrypoint
  templateDefaults:
    script:
      image: argoproj/argosay:v1
      command: [sh]
      workingDir: "/src"
    container:
      image: argoproj/argosay:v1
      command: [sh, -c]
      workingDir: "/src"
  templates:
    - name: entrypoint
      steps:
      - - name: test-script
          template: test-script
        - name: test-container
          template: test-container
    - name: test-script
      script:
        source: |
          pwd
    - name: test-container
      container:
        args: ["pwd"]
`

func TestTemplateDefaultsApplyPerTemplateType(t *testing.T) {
	var launched []Launch
	s := newSim(t, templateDefaultImage, func(l Launch) outcome {
		launched = append(launched, l)
		return outcome{takes: 1}
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded as in Argo\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if len(launched) != 2 {
		t.Fatalf("launched %d steps, want 2", len(launched))
	}
	for _, l := range launched {
		tm := l.Template
		switch tm.Name {
		case "test-script":
			if tm.Container != nil || tm.Script == nil {
				t.Fatalf("script template got types %v", tm.Types())
			}
			if !reflect.DeepEqual(tm.Script.Command, []string{"sh"}) || tm.Script.WorkingDir != "/src" || tm.Script.Image != "argoproj/argosay:v1" {
				t.Fatalf("script defaults not merged: %+v", tm.Script.Container)
			}
			if tm.Script.Source != "pwd\n" {
				t.Fatalf("script source %q lost", tm.Script.Source)
			}
		case "test-container":
			if tm.Script != nil || tm.Container == nil {
				t.Fatalf("container template got types %v", tm.Types())
			}
			c := tm.Container
			if !reflect.DeepEqual(c.Command, []string{"sh", "-c"}) || !reflect.DeepEqual(c.Args, []string{"pwd"}) || c.WorkingDir != "/src" {
				t.Fatalf("container defaults not merged: %+v", c)
			}
		default:
			t.Fatalf("unexpected launch %q", tm.Name)
		}
	}
}

// The template is a strategic merge patch over the defaults, as in Argo:
// objects merge, lists with a merge key (env by name, volumeMounts by
// mountPath, parameters by name) merge by that key, other lists and
// scalars set on the template replace the default's.
func TestTemplateDefaultsStrategicMerge(t *testing.T) {
	defaults := &wfv1.Template{
		Timeout:  "10s",
		Inputs:   wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: "a", Value: ptr(wfv1.AnyString("da"))}, {Name: "b", Value: ptr(wfv1.AnyString("db"))}}},
		Metadata: wfv1.Metadata{Labels: map[string]string{"team": "x", "tier": "d"}},
		Container: &wfv1.Container{Image: "img", Command: []string{"sh", "-c"}, Args: []string{"d"},
			Env:          []wfv1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}},
			VolumeMounts: []wfv1.VolumeMount{{Name: "v", MountPath: "/d"}}},
		Steps: []wfv1.ParallelSteps{{{Name: "never", Template: "x"}}},
	}
	tmpl := &wfv1.Template{
		Name:     "t",
		Inputs:   wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: "b", Value: ptr(wfv1.AnyString("tb"))}, {Name: "c"}}},
		Metadata: wfv1.Metadata{Labels: map[string]string{"tier": "t"}},
		Container: &wfv1.Container{Command: []string{"echo"},
			Env:          []wfv1.EnvVar{{Name: "B", Value: "two"}, {Name: "C", Value: "3"}},
			VolumeMounts: []wfv1.VolumeMount{{Name: "w", MountPath: "/t"}}},
	}
	got, err := mergeTemplateDefaults(defaults, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steps != nil || len(got.Types()) != 1 {
		t.Fatalf("types %v: the defaults' steps leaked into a container template", got.Types())
	}
	c := got.Container
	if c.Image != "img" || !reflect.DeepEqual(c.Command, []string{"echo"}) || !reflect.DeepEqual(c.Args, []string{"d"}) {
		t.Fatalf("container %+v: want image and args from defaults, command from the template", c)
	}
	wantEnv := []wfv1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "two"}, {Name: "C", Value: "3"}}
	if !reflect.DeepEqual(c.Env, wantEnv) {
		t.Fatalf("env %+v, want %+v (merged by name)", c.Env, wantEnv)
	}
	if len(c.VolumeMounts) != 2 {
		t.Fatalf("volumeMounts %+v, want both (merged by mountPath)", c.VolumeMounts)
	}
	var names []string
	for _, p := range got.Inputs.Parameters {
		v := ""
		if p.Value != nil {
			v = string(*p.Value)
		}
		names = append(names, p.Name+"="+v)
	}
	if !reflect.DeepEqual(names, []string{"a=da", "b=tb", "c="}) {
		t.Fatalf("input parameters %v, want merged by name", names)
	}
	if got.Timeout != "10s" || got.Name != "t" {
		t.Fatalf("timeout %q name %q", got.Timeout, got.Name)
	}
	if !reflect.DeepEqual(got.Metadata.Labels, map[string]string{"team": "x", "tier": "t"}) {
		t.Fatalf("labels %v", got.Metadata.Labels)
	}
	if tmpl.Container.Image != "" || len(tmpl.Container.Env) != 2 {
		t.Fatal("the merge changed the spec's own template")
	}
}
