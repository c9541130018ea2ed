package metrics

import (
	"context"
	"errors"

	"github.com/couponq/couponq/internal/fleetview"
)

// typ returns the series of job type t (Other's when t is not configured).
func (m *Metrics) typ(t string) *typeMetrics {
	if tm, ok := m.types[t]; ok {
		return tm
	}
	return m.other
}

// JobFinished records a job's one result: status is "succeeded" or
// "failed", code the result's error code (ignored for succeeded), attempts
// the attempt count. Allocation-free (see BenchmarkJobSucceeded/Failed).
func (m *Metrics) JobFinished(typ, status, code string, attempts int) {
	if m == nil {
		return
	}
	tm := m.typ(typ)
	switch outcome(status) {
	case outcomeSucceeded:
		tm.succeeded.Inc()
		tm.attemptsSucceeded.Observe(float64(attempts))
	case outcomeFailed:
		m.finished.WithLabelValues(tm.name, outcomeFailed, m.labels.code(code)).Inc()
		tm.attemptsFailed.Observe(float64(attempts))
	default:
		m.finished.WithLabelValues(tm.name, Other, m.labels.code(code)).Inc()
	}
}

// Attempt records that a delivery of a job of type typ is being worked on.
func (m *Metrics) Attempt(typ string) {
	if m == nil {
		return
	}
	m.typ(typ).attempts.Inc()
}

// APICall records one WeChat Pay API call of job type typ that took seconds
// and ended in statusClass (see StatusClass).
func (m *Metrics) APICall(typ, statusClass string, seconds float64) {
	if m == nil {
		return
	}
	tm := m.typ(typ)
	if i := classIndex(statusClass); i >= 0 {
		tm.api[i].Observe(seconds)
		return
	}
	m.api.WithLabelValues(tm.name, Other).Observe(seconds)
}

// Throttled records a 429 answer for merchant mchid and job type typ.
func (m *Metrics) Throttled(mchid, typ string) {
	if m == nil {
		return
	}
	m.throttledVec.WithLabelValues(m.labels.mchid(mchid), m.typ(typ).name).Inc()
}

// BudgetWait records that a job of type typ waited seconds for rate budget.
func (m *Metrics) BudgetWait(typ string, seconds float64) {
	if m == nil {
		return
	}
	m.typ(typ).rateWait.Observe(seconds)
}

// Redelivered records that a job of type typ was delivered again.
func (m *Metrics) Redelivered(typ string) {
	if m == nil {
		return
	}
	m.typ(typ).redeliveries.Inc()
}

// InFlightInc records that this worker took a job of type typ.
func (m *Metrics) InFlightInc(typ string) {
	if m == nil {
		return
	}
	m.typ(typ).inFlight.Inc()
}

// InFlightDec records that this worker let go of a job of type typ
// (acknowledged, handed back or abandoned).
func (m *Metrics) InFlightDec(typ string) {
	if m == nil {
		return
	}
	m.typ(typ).inFlight.Dec()
}

// DeadLettered records a dead letter stored for a job of type typ with
// error code code.
func (m *Metrics) DeadLettered(typ, code string) {
	if m == nil {
		return
	}
	m.deadLetters.WithLabelValues(m.typ(typ).name, m.labels.code(code)).Inc()
}

// errNoSource is returned by Snapshot without a Config.Source.
var errNoSource = errors.New("metrics: no fleet source configured")

// Snapshot returns the fleet snapshot through the same cache the scrapes
// use, so the dashboard and Prometheus together cost NATS one query per
// Config.CacheTTL. It makes *Metrics an fleetview.Source.
func (m *Metrics) Snapshot(ctx context.Context) (fleetview.Snapshot, error) {
	if m == nil || m.fleet == nil {
		return fleetview.Snapshot{}, errNoSource
	}
	return m.fleet.Snapshot(ctx)
}
