package engine

import (
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
)

const tmpWF = `
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

func BenchmarkTmpCopy(b *testing.B) {
	var wf wfv1.Workflow
	if err := yaml.Unmarshal([]byte(tmpWF), &wf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		_ = deepCopy(&wf)
	}
}
