package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
)

// copyBenchWF is a one-step workflow on a semaphore, as `run --count`
// copies it: the workflow of sync_bench_test.go without its ConfigMap.
var copyBenchWF = strings.SplitN(fmt.Sprintf(semaphoreWorkflow, 1), "---\n", 2)[1]

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
