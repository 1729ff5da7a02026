package executor

import (
	"os"
	"testing"
	"time"
)

// BenchmarkStepStart measures, through the supervisor, the time from a
// start request to the step's process running: with and without a private
// mount namespace, and (as root) as a step user in its own namespaces.
// Step directories go under TMPDIR: set it to the filesystem to measure
// (under /tmp, a private step's working directory costs a bind more).
func BenchmarkStepStart(b *testing.B) {
	for _, c := range []struct {
		name string
		iso  Isolation
	}{{"private", Isolation{}}, {"shared", Isolation{SharedTmp: true}}, {"isolated", Isolation{User: nobody}}} {
		b.Run(c.name, func(b *testing.B) {
			if c.iso.User != nil && os.Geteuid() != 0 {
				b.Skip("a step user needs root")
			}
			s := startServeWith(b, c.iso)
			var total time.Duration
			// The spec travels in the request, as Local.Start sends it.
			spec := Spec{Command: []string{"true"}, Env: os.Environ()}
			for i := range b.N {
				dir := b.TempDir()
				key := "k" + string(rune('a'+i%26))
				t0 := time.Now()
				s.send(b, request{Op: "start", Key: key, Dir: dir, Spec: &spec})
				for n := range s.notes {
					if n.Key == key && n.Event == "started" {
						total += n.At.Sub(t0)
					}
					if n.Key == key && n.Event == "exited" {
						break
					}
				}
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms-to-running")
			_ = s.in.Close()
		})
	}
}
