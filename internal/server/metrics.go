package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/locks"
)

// Argo's lock metrics keep Argo's names as its Prometheus exporter writes
// them (argo_workflows_ prefix, same attributes), so dashboards and alerts
// made for Argo read semaflow unchanged. What Argo lacks (limits, wait and
// hold times) is under semaflow_.
var lockLabels = []string{"type", "storage", "lock_name", "namespace"}

func labelValues(l locks.Lock) []string { return []string{l.Type, l.Storage, l.Name, l.Namespace} }

// lockMetrics is a Prometheus collector over the lock manager plus the
// observer that counts grants and times waits and holds.
type lockMetrics struct {
	eng                  *engine.Engine
	held, pending, limit *prometheus.Desc
	taken                *prometheus.CounterVec
	wait, hold           *prometheus.HistogramVec
}

// Lock waits and holds range from milliseconds (a handoff) to hours (a
// long queue): 1 ms to about 4.5 h in steps of 4x.
var lockBuckets = prometheus.ExponentialBuckets(0.001, 4, 12)

func newLockMetrics(eng *engine.Engine) *lockMetrics {
	return &lockMetrics{
		eng:     eng,
		held:    prometheus.NewDesc("argo_workflows_locks_held", "Holders of each lock.", lockLabels, nil),
		pending: prometheus.NewDesc("argo_workflows_locks_pending", "Waiters queued on each lock.", lockLabels, nil),
		limit:   prometheus.NewDesc("semaflow_lock_limit", "The limit of each lock (1 for a mutex).", lockLabels, nil),
		taken: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "argo_workflows_locks_taken_total",
			Help: "Locks taken, once per grant of each lock."}, lockLabels),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "semaflow_lock_wait_seconds",
			Help: "How long holders waited for each lock before it was granted.", Buckets: lockBuckets}, lockLabels),
		hold: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "semaflow_lock_hold_seconds",
			Help: "How long holders held each lock.", Buckets: lockBuckets}, lockLabels),
	}
}

func (m *lockMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.held
	ch <- m.pending
	ch <- m.limit
	m.taken.Describe(ch)
	m.wait.Describe(ch)
	m.hold.Describe(ch)
}

func (m *lockMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, st := range m.eng.LockStats() {
		lv := labelValues(st.Lock)
		ch <- prometheus.MustNewConstMetric(m.held, prometheus.GaugeValue, float64(st.Held), lv...)
		ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(st.Pending), lv...)
		ch <- prometheus.MustNewConstMetric(m.limit, prometheus.GaugeValue, float64(st.Limit), lv...)
	}
	m.taken.Collect(ch)
	m.wait.Collect(ch)
	m.hold.Collect(ch)
}

func (m *lockMetrics) Taken(l locks.Lock, waited time.Duration) {
	lv := labelValues(l)
	m.taken.WithLabelValues(lv...).Inc()
	m.wait.WithLabelValues(lv...).Observe(waited.Seconds())
}

func (m *lockMetrics) Released(l locks.Lock, held time.Duration) {
	m.hold.WithLabelValues(labelValues(l)...).Observe(held.Seconds())
}

// metricsHandler registers the lock and node metrics, Go's runtime and the
// process's own in a registry of this server's, and serves them.
func metricsHandler(eng *engine.Engine) http.Handler {
	reg := prometheus.NewRegistry()
	lm := newLockMetrics(eng)
	reg.MustRegister(lm, newNodeMetrics(eng), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	eng.ObserveLocks(lm)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
