package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/semaflow/semaflow/internal/engine"
)

// nodeMetrics tells of this node and of how many the store holds live,
// read at each scrape: one read of the sessions, never of the workflows
// (this node's are counted in memory).
type nodeMetrics struct {
	eng                          *engine.Engine
	info, lease, live, workflows *prometheus.Desc
}

// nodeScrapeTimeout bounds the sessions' read: a store held by another
// process (SQLite's write lock) must not hang the scrape.
const nodeScrapeTimeout = 5 * time.Second

func newNodeMetrics(eng *engine.Engine) *nodeMetrics {
	return &nodeMetrics{
		eng: eng,
		info: prometheus.NewDesc("semaflow_node_info", "This engine's node: its name, session, host and kind (run or server); always 1.",
			[]string{"node", "session", "host", "kind"}, nil),
		lease: prometheus.NewDesc("semaflow_node_lease_expiry_timestamp_seconds",
			"When this node's lease ends unless renewed (Unix time); another node may take its workflows over after it.", []string{"node"}, nil),
		live: prometheus.NewDesc("semaflow_nodes_live", "Engines whose session lease in the store has not expired, this one included.", nil, nil),
		workflows: prometheus.NewDesc("semaflow_node_workflows", "Unfinished workflows this node owns and runs.",
			[]string{"node"}, nil),
	}
}

func (m *nodeMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.info
	ch <- m.lease
	ch <- m.live
	ch <- m.workflows
}

func (m *nodeMetrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), nodeScrapeTimeout)
	defer cancel()
	sum, err := m.eng.NodeSummary(ctx)
	if err != nil {
		// The store did not answer: the node series are missing from this
		// scrape rather than wrong, and the rest is served.
		return
	}
	ch <- prometheus.MustNewConstMetric(m.live, prometheus.GaugeValue, float64(sum.Live))
	s := sum.Self
	if s == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(m.info, prometheus.GaugeValue, 1, s.Node, s.ID, s.Host, s.Kind)
	ch <- prometheus.MustNewConstMetric(m.lease, prometheus.GaugeValue, float64(s.Expires.UnixNano())/1e9, s.Node)
	ch <- prometheus.MustNewConstMetric(m.workflows, prometheus.GaugeValue, float64(sum.Workflows), s.Node)
}
