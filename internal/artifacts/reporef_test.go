package artifacts

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

func TestResolveRepositoryAsArgo(t *testing.T) {
	s3 := "s3:\n  bucket: b1\n  endpoint: minio:9000\n"
	cms := map[string]*wfv1.ConfigMap{
		"ns/artifact-repositories": {Metadata: wfv1.ObjectMeta{Name: "artifact-repositories",
			Annotations: map[string]string{DefaultRepoAnnotation: "default-v1"}},
			Data: map[string]string{"default-v1": s3, "my-key": "local: {}\n", "bad": "gcs:\n  bucket: x\n", "typo": "s3:\n  bukket: x\n"}},
		"other/artifact-repositories": {Metadata: wfv1.ObjectMeta{Name: "artifact-repositories"}, Data: map[string]string{"k": s3}},
		"ns/mine":                     {Metadata: wfv1.ObjectMeta{Name: "mine"}, Data: map[string]string{"k": s3}},
	}
	get := func(ns, name string) (*wfv1.ConfigMap, error) { return cms[ns+"/"+name], nil }
	cases := []struct {
		name    string
		ref     *wfv1.ArtifactRepositoryRef
		ns      string
		want    string // ConfigMap/key, "default", or an error's text
		wantErr bool
	}{
		{"no ref: the namespace's annotated default", nil, "ns", "artifact-repositories/default-v1", false},
		{"no ref, no annotation: the engine's", nil, "other", "default", false},
		{"no ref, no ConfigMap: the engine's", nil, "empty", "default", false},
		{"key in the default ConfigMap", &wfv1.ArtifactRepositoryRef{Key: "my-key"}, "ns", "artifact-repositories/my-key", false},
		{"ConfigMap only: its annotated key", &wfv1.ArtifactRepositoryRef{ConfigMap: "artifact-repositories"}, "ns", "artifact-repositories/default-v1", false},
		{"named ConfigMap and key", &wfv1.ArtifactRepositoryRef{ConfigMap: "mine", Key: "k"}, "ns", "mine/k", false},
		{"missing key", &wfv1.ArtifactRepositoryRef{Key: "nope"}, "ns", `has no key "nope"`, true},
		{"missing ConfigMap", &wfv1.ArtifactRepositoryRef{ConfigMap: "gone", Key: "k"}, "ns", "ConfigMap ns/gone does not exist", true},
		{"no key, no annotation", &wfv1.ArtifactRepositoryRef{ConfigMap: "mine"}, "ns", "no workflows.argoproj.io/default-artifact-repository annotation", true},
		{"unsupported kind", &wfv1.ArtifactRepositoryRef{Key: "bad"}, "ns", "gcs repositories are not supported", true},
		{"unknown field", &wfv1.ArtifactRepositoryRef{Key: "typo"}, "ns", "bukket", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := ResolveRepository(c.ref, c.ns, get)
			if c.wantErr {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := "default"
			if !st.Default {
				got = st.ConfigMap + "/" + st.Key
			}
			if got != c.want {
				t.Fatalf("resolved %s, want %s", got, c.want)
			}
		})
	}
}
