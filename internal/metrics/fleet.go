package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/couponq/couponq/internal/fleetview"
)

// fleetCollector emits the fleet gauges from a snapshot and readiness, both
// taken when Prometheus scrapes.
type fleetCollector struct {
	labels  *labeler
	src     fleetview.Source // nil: no fleet gauges
	ready   fleetview.Readiness
	timeout time.Duration

	backlog, flowBacklog, flowInFlight, dlq  *prometheus.Desc
	limit, budget, paced, cuts               *prometheus.Desc
	liveWorkers, snapshotSuccess, readyGauge *prometheus.Desc
}

func newFleetCollector(l *labeler, src fleetview.Source, ready fleetview.Readiness, timeout time.Duration) *fleetCollector {
	flow := []string{LabelMchID, LabelType, LabelPriority}
	key := []string{LabelMchID, LabelType}
	typ := []string{LabelType}
	return &fleetCollector{
		labels: l, src: src, ready: ready, timeout: timeout,
		backlog:         prometheus.NewDesc(NameBacklog, "Jobs waiting, fleet-wide, by type.", typ, nil),
		flowBacklog:     prometheus.NewDesc(NameFlowBacklog, "Jobs waiting, fleet-wide, by merchant, type and priority.", flow, nil),
		flowInFlight:    prometheus.NewDesc(NameFlowInFlight, "Jobs delivered and not yet acknowledged, fleet-wide, by merchant, type and priority.", flow, nil),
		dlq:             prometheus.NewDesc(NameDLQ, "Dead letters stored, by type.", typ, nil),
		limit:           prometheus.NewDesc(NameRateLimit, "Configured rate limit, by merchant and type.", key, nil),
		budget:          prometheus.NewDesc(NameRateBudget, "Current fleet rate budget after 429 feedback, by merchant and type.", key, nil),
		paced:           prometheus.NewDesc(NameRatePaced, "Rate the fleet paces to (headroom x budget), by merchant and type.", key, nil),
		cuts:            prometheus.NewDesc(NameRateCuts, "Budget cuts applied fleet-wide after 429s, by merchant and type.", key, nil),
		liveWorkers:     prometheus.NewDesc(NameLiveWorkers, "Live workers in the fleet.", nil, nil),
		snapshotSuccess: prometheus.NewDesc(NameSnapshotSuccess, "1 if the fleet snapshot for this scrape was taken, else 0 (fleet metrics missing).", nil, nil),
		readyGauge:      prometheus.NewDesc(NameReady, "1 while this worker is ready (as /readyz), else 0.", nil, nil),
	}
}

// Describe sends every descriptor.
func (c *fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.backlog, c.flowBacklog, c.flowInFlight, c.dlq, c.limit,
		c.budget, c.paced, c.cuts, c.liveWorkers, c.snapshotSuccess, c.readyGauge} {
		ch <- d
	}
}

// Collect takes readiness and a snapshot, each within the timeout.
func (c *fleetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if c.ready != nil {
		ch <- prometheus.MustNewConstMetric(c.readyGauge, prometheus.GaugeValue, boolValue(c.ready(ctx) == nil))
	}
	if c.src == nil {
		return
	}
	snap, err := c.src.Snapshot(ctx)
	ch <- prometheus.MustNewConstMetric(c.snapshotSuccess, prometheus.GaugeValue, boolValue(err == nil))
	if err != nil {
		return
	}
	c.collectSnapshot(ch, snap)
}

func (c *fleetCollector) collectSnapshot(ch chan<- prometheus.Metric, snap fleetview.Snapshot) {
	ch <- prometheus.MustNewConstMetric(c.liveWorkers, prometheus.GaugeValue, float64(snap.LiveWorkers))
	// Values are summed per bounded label set: two unconfigured names both
	// become Other and must not make duplicate series.
	sums := newSums()
	for t, n := range snap.Backlog {
		sums.add(c.backlog, prometheus.GaugeValue, float64(n), c.labels.typ(t))
	}
	for t, n := range snap.DLQDepth {
		sums.add(c.dlq, prometheus.GaugeValue, float64(n), c.labels.typ(t))
	}
	for _, f := range snap.Flows {
		id, t, p := c.labels.mchid(f.MchID), c.labels.typ(f.Type), priority(f.Priority)
		sums.add(c.flowBacklog, prometheus.GaugeValue, float64(f.Backlog), id, t, p)
		sums.add(c.flowInFlight, prometheus.GaugeValue, float64(f.InFlight), id, t, p)
	}
	for _, l := range snap.Limits {
		id, t := c.labels.mchid(l.MchID), c.labels.typ(l.Type)
		sums.add(c.limit, prometheus.GaugeValue, l.Limit, id, t)
		sums.add(c.budget, prometheus.GaugeValue, l.Budget, id, t)
		sums.add(c.paced, prometheus.GaugeValue, l.Rate, id, t)
		sums.add(c.cuts, prometheus.CounterValue, float64(l.Cuts), id, t)
	}
	sums.emit(ch)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// sums adds up values per (descriptor, label values), keeping first-seen order.
type sums struct {
	index map[sumKey]int
	list  []sumEntry
}

type sumKey struct {
	desc   *prometheus.Desc
	labels [3]string
}

type sumEntry struct {
	key   sumKey
	kind  prometheus.ValueType
	n     int // labels used
	value float64
}

func newSums() *sums { return &sums{index: map[sumKey]int{}} }

func (s *sums) add(d *prometheus.Desc, kind prometheus.ValueType, v float64, labels ...string) {
	k := sumKey{desc: d}
	copy(k.labels[:], labels)
	if i, ok := s.index[k]; ok {
		s.list[i].value += v
		return
	}
	s.index[k] = len(s.list)
	s.list = append(s.list, sumEntry{key: k, kind: kind, n: len(labels), value: v})
}

func (s *sums) emit(ch chan<- prometheus.Metric) {
	for _, e := range s.list {
		ch <- prometheus.MustNewConstMetric(e.key.desc, e.kind, e.value, e.key.labels[:e.n]...)
	}
}
