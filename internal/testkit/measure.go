package testkit

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// PeakRSS reads the process's high-water resident set size, in bytes.
func PeakRSS(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int64
			_, _ = fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM")
	return 0
}

// HandoffGaps returns, sorted, the gaps between one step's end and the
// next one's start, for workflows that ran one at a time.
func HandoffGaps(tb testing.TB, wfs []*wfv1.Workflow) []time.Duration {
	type span struct{ start, end time.Time }
	var spans []span
	for _, wf := range wfs {
		for _, n := range wf.Status.Nodes {
			if n.Type == "Pod" && n.StartedAt != nil && n.FinishedAt != nil {
				spans = append(spans, span{*n.StartedAt, *n.FinishedAt})
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	var gaps []time.Duration
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			tb.Fatalf("step %d started before step %d ended: the mutex was held twice", i, i-1)
		}
		gaps = append(gaps, spans[i].start.Sub(spans[i-1].end))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	return gaps
}
