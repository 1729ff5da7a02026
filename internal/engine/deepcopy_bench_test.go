package engine

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
)

// copyBenchWF is a one-step workflow on a semaphore, as `run --count` copies it.
const copyBenchWF = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: q-}
spec:
  entrypoint: main
  synchronization:
    semaphores: [{configMapKeyRef: {name: limits, key: sem}}]
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`

// BenchmarkDeepCopy measures one copy of a submitted workflow (was a JSON
// round trip).
func BenchmarkDeepCopy(b *testing.B) {
	var wf wfv1.Workflow
	if err := yaml.Unmarshal([]byte(copyBenchWF), &wf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		_, _ = deepCopy(&wf)
	}
}

// BenchmarkDeepCopyJSON is the JSON round trip deepCopy stands in for,
// to compare with BenchmarkDeepCopy.
func BenchmarkDeepCopyJSON(b *testing.B) {
	var wf wfv1.Workflow
	if err := yaml.Unmarshal([]byte(copyBenchWF), &wf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		raw, err := json.Marshal(&wf)
		if err != nil {
			b.Fatal(err)
		}
		var c wfv1.Workflow
		if err := json.Unmarshal(raw, &c); err != nil {
			b.Fatal(err)
		}
	}
}
