// Package metrics owns couponq's Prometheus metrics: per-process counters and
// histograms recorded on the hot path, and fleet gauges filled at scrape time
// from an fleetview.Source. Every label value is bounded (configured types and
// merchants, known error codes, fixed status classes and priorities), so no
// job id, coupon code or other job-controlled text can become a label.
package metrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/couponq/couponq/internal/fleetview"
)

// Config says which label values are allowed and where the fleet gauges
// come from.
type Config struct {
	// Build labels couponq_build_info (see ReadBuildInfo).
	Build BuildInfo
	// Types are the job types (required); any other type is labelled Other.
	Types []string
	// Merchants are the configured merchant ids; any other is labelled Other.
	Merchants []string
	// Codes are error codes to label as they are besides KnownCodes.
	Codes []string
	// Source fills the fleet gauges at scrape time; nil leaves them out.
	// Its snapshots are cached (see CacheTTL) and shared through
	// Metrics.Snapshot.
	Source fleetview.Source
	// Ready fills couponq_ready; nil leaves it out.
	Ready fleetview.Readiness
	// CacheTTL is how long a fleet snapshot is reused. Default 1s.
	CacheTTL time.Duration
	// Timeout bounds one Source or Ready call during a scrape. Default 2s.
	Timeout time.Duration
}

// Metrics records couponq's metrics. Its methods are safe for concurrent use
// and do nothing on a nil *Metrics, so code paths without metrics (tests,
// tools) can pass nil.
type Metrics struct {
	labels *labeler
	types  map[string]*typeMetrics // configured types and Other
	other  *typeMetrics
	// throttledVec counts 429s by bounded (mchid, type). Its series are
	// made at a merchant's first 429, not up front: a provider with
	// thousands of accounts would otherwise export (and hold) a zero
	// series per account and type on every worker.
	throttledVec *prometheus.CounterVec

	finished    *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	api         *prometheus.HistogramVec
	fleet       *fleetview.Cache // nil without Config.Source
	// local holds the per-process families only (Local).
	local *prometheus.Registry
}

// New builds the metrics and registers them with reg.
func New(reg prometheus.Registerer, cfg Config) (*Metrics, error) {
	if len(cfg.Types) == 0 {
		return nil, errors.New("metrics: no job types configured")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	m := &Metrics{labels: newLabeler(cfg.Types, cfg.Merchants, cfg.Codes)}
	v := newVecs()
	m.finished, m.deadLetters, m.api = v.finished, v.deadLetters, v.api
	m.types = make(map[string]*typeMetrics, len(cfg.Types)+1)
	for _, t := range append(append([]string(nil), cfg.Types...), Other) {
		m.types[t] = v.forType(t)
	}
	m.other = m.types[Other]
	m.throttledVec = v.throttled
	build := cfg.Build.withDefaults()
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        NameBuildInfo,
		Help:        "Always 1; the labels say which couponq build runs.",
		ConstLabels: prometheus.Labels{"version": build.Version, "goversion": build.GoVersion, "signer": build.Signer},
	})
	info.Set(1)
	m.local = prometheus.NewRegistry()
	for _, c := range v.all() {
		if err := m.local.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register locally: %w", err)
		}
	}
	cs := append(v.all(), info)
	if cfg.Source != nil {
		m.fleet = fleetview.NewCache(cfg.Source, cfg.CacheTTL, cfg.Timeout, nil)
	}
	if cfg.Source != nil || cfg.Ready != nil {
		cs = append(cs, newFleetCollector(m.labels, m.fleet, cfg.Ready, cfg.Timeout))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// Local gathers only this process's own families (jobs finished, attempts,
// API calls, 429s, dead letters, jobs in flight, budget waits): not the
// fleet gauges, whose snapshot has series per merchant, type and priority,
// nor the Go runtime's. The dashboard samples it every few seconds; with
// thousands of merchants a full gather each time was mostly garbage.
func (m *Metrics) Local() prometheus.Gatherer {
	if m == nil {
		return prometheus.NewRegistry()
	}
	return m.local
}

// NewRegistry returns a registry with the Go runtime and process collectors,
// ready for New.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
