// Package fleetview defines what a worker reports about itself to the operations
// surface (metrics and the ops HTTP server): a snapshot of fleet state taken
// from NATS, and readiness. It depends on nothing of couponq, so both the
// metrics and the HTTP packages import it without cycles.
package fleetview

import "context"

// Snapshot is the fleet state at one moment, as the worker sees it in NATS.
// Type and merchant names are the configured ones; a consumer of a Snapshot
// must not modify it (a Cache hands the same one to every caller).
type Snapshot struct {
	// Flows has one entry per (merchant, type, priority) with pending or
	// in-flight jobs. Empty until per-flow scheduling exists.
	Flows []FlowStat `json:"flows"`
	// Limits has one entry per (merchant, type) the rate limiter knows.
	Limits []LimitStat `json:"limits"`
	// Backlog is the number of jobs waiting per job type, fleet-wide (the
	// consumer's pending count).
	Backlog map[string]uint64 `json:"backlog"`
	// DLQDepth is the number of dead letters stored per job type.
	DLQDepth map[string]uint64 `json:"dlq_depth"`
	// LiveWorkers is the number of workers alive in the fleet.
	LiveWorkers int `json:"live_workers"`
}

// FlowStat is the state of one flow: the jobs of one merchant account, job
// type and priority.
type FlowStat struct {
	MchID string `json:"mchid"`
	Type  string `json:"type"`
	// Priority is 1 (most urgent) to 5 (bulk).
	Priority int `json:"priority"`
	// Backlog is the number of jobs waiting; InFlight the number delivered
	// to a worker and not yet acknowledged.
	Backlog  uint64 `json:"backlog"`
	InFlight uint64 `json:"in_flight"`
}

// LimitStat is the rate-limit state of one (merchant, type), fleet-wide.
type LimitStat struct {
	MchID string `json:"mchid"`
	Type  string `json:"type"`
	// Limit is the configured limit, requests per second.
	Limit float64 `json:"limit"`
	// Budget is the current budget after 429 feedback (<= Limit), requests
	// per second.
	Budget float64 `json:"budget"`
	// Rate is the rate actually paced (headroom × budget), requests per second.
	Rate float64 `json:"rate"`
	// Cuts counts the budget cuts (429 feedback) applied fleet-wide since the
	// shared state was created; it only grows.
	Cuts uint64 `json:"cuts"`
}

// Source takes snapshots. Implementations query NATS; they must honour ctx
// (callers give each call a short deadline) and be safe for concurrent use.
type Source interface {
	Snapshot(ctx context.Context) (Snapshot, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context) (Snapshot, error)

// Snapshot calls f.
func (f SourceFunc) Snapshot(ctx context.Context) (Snapshot, error) { return f(ctx) }

// Readiness reports whether this worker can take jobs: nil when ready,
// otherwise an error saying why not. Several reasons are reported as a list
// when the error is an errors.Join of them. It must be cheap (local state
// only: connection status, flags set at start) and honour ctx.
type Readiness func(ctx context.Context) error
