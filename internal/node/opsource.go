package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/couponq/couponq/internal/fleetview"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// Snapshot implements fleetview.Source: the fleet as this node sees it in NATS
// (per-flow backlog from the worker's last scan, backlog per type waiting at
// intake and in flows, dead letters per type, the limiter's keys and the
// live worker count).
func (rt *Node) Snapshot(ctx context.Context) (fleetview.Snapshot, error) {
	if !rt.started.Load() {
		return fleetview.Snapshot{}, errStarting
	}
	snap := fleetview.Snapshot{Backlog: map[string]uint64{}, DLQDepth: map[string]uint64{}, LiveWorkers: rt.Limiter.Workers()}
	flows, err := rt.Worker.FlowStats(ctx)
	if err != nil {
		return snap, err
	}
	for _, f := range flows {
		snap.Flows = append(snap.Flows, fleetview.FlowStat{MchID: f.MchID, Type: string(f.Type), Priority: f.Priority,
			Backlog: f.Backlog, InFlight: uint64(f.InFlight)})
	}
	for _, k := range rt.Limiter.Stats().Keys {
		snap.Limits = append(snap.Limits, fleetview.LimitStat{MchID: k.Key.MchID, Type: k.Key.Type, Limit: k.Limit,
			Budget: k.Budget, Rate: k.Rate, Cuts: k.Cuts})
	}
	intake, err := worker.SubjectCounts(ctx, rt.JS, jobs.JobsStream, jobs.JobSubjectPrefix+">")
	if err != nil {
		return snap, err
	}
	for subj, n := range intake {
		if t, ok := jobs.TypeFromSubject(subj); ok {
			snap.Backlog[t] += n
		}
	}
	for _, f := range snap.Flows {
		snap.Backlog[f.Type] += f.Backlog
	}
	dlq, err := worker.SubjectCounts(ctx, rt.JS, jobs.DLQStream, jobs.DLQSubjectPrefix+">")
	if err != nil {
		return snap, err
	}
	for subj, n := range dlq {
		snap.DLQDepth[subj[len(jobs.DLQSubjectPrefix):]] += n
	}
	return snap, nil
}

// Ready implements fleetview.Readiness: NATS connected and the worker taking
// jobs (its streams and consumers exist; merchant keys were loaded at
// Start, which fails without them).
func (rt *Node) Ready(context.Context) error {
	if !rt.started.Load() {
		return errStarting
	}
	var errs []error
	if st := rt.NC.Status(); st != nats.CONNECTED {
		errs = append(errs, fmt.Errorf("NATS not connected (%s)", st))
	}
	if err := rt.Worker.Ready(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// errStarting is the readiness and snapshot answer while Start runs.
var errStarting = errors.New("starting: connecting to NATS, creating streams, loading keys")

var (
	_ fleetview.Source = (*Node)(nil)
	_ worker.Budget    = limiterBudget{}
)
