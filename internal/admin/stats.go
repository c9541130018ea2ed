package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/ratelimit"
)

// FlowsStream and FlowSubjectPrefix: the worker's internal per-flow stream
// (couponq.flow.<type>.<mchid>.<priority>.<fairness-key token>).
const (
	FlowsStream       = worker.FlowsStream
	FlowSubjectPrefix = worker.FlowSubjectPrefix
)

// Stats is a snapshot of the queues.
type Stats struct {
	// Types has one row per job type (the four known ones, then any
	// unknown type that has jobs or dead letters), sorted.
	Types []TypeStats `json:"types"`
	// Flows has the backlog per (type, merchant, priority), when the flows
	// stream exists (FlowsStream true).
	FlowsStream bool        `json:"flows_stream"`
	Flows       []FlowStats `json:"flows,omitempty"`
	// Workers is the number of live workers (heartbeats in the members bucket).
	Workers int `json:"workers"`
}

// TypeStats is the state of one job type.
type TypeStats struct {
	Type string `json:"type"`
	// Queued: jobs stored in the jobs stream (waiting or in flight).
	Queued uint64 `json:"queued"`
	// Pending: jobs not yet delivered to a worker (consumers' NumPending).
	Pending uint64 `json:"pending"`
	// InFlight: delivered, not yet acknowledged (NumAckPending), including
	// jobs waiting for a scheduled retry.
	InFlight int `json:"in_flight"`
	// Redelivered: jobs delivered more than once and not yet acknowledged.
	Redelivered int `json:"redelivered"`
	// DeadOperational and DeadRejected count dead letters by class.
	DeadOperational uint64 `json:"dead_operational"`
	DeadRejected    uint64 `json:"dead_rejected"`
	// Paused is set when the type is paused.
	Paused *jobs.Pause `json:"paused,omitempty"`
}

// FlowStats is the backlog of one (type, merchant, priority).
type FlowStats struct {
	Type     string `json:"type"`
	MchID    string `json:"mchid"`
	Priority int    `json:"priority"`
	Backlog  uint64 `json:"backlog"`
	// Keys is the number of fairness keys with jobs.
	Keys int `json:"fairness_keys"`
}

// CollectStats reads the streams, consumers and buckets into a Stats.
func CollectStats(ctx context.Context, js jetstream.JetStream) (*Stats, error) {
	rows := map[string]*TypeStats{}
	row := func(t string) *TypeStats {
		if rows[t] == nil {
			rows[t] = &TypeStats{Type: t}
		}
		return rows[t]
	}
	for _, t := range jobs.Types() {
		row(string(t))
	}
	st := &Stats{}
	counts, err := subjectCounts(ctx, js, jobs.JobsStream, jobs.JobSubjectPrefix+">")
	if err != nil {
		return nil, err
	}
	for subj, n := range counts {
		row(strings.TrimPrefix(subj, jobs.JobSubjectPrefix)).Queued += n
	}
	if err := consumerStats(ctx, js, jobs.JobsStream, jobs.JobSubjectPrefix, row); err != nil {
		return nil, err
	}
	if err := flowStats(ctx, js, st, row); err != nil {
		return nil, err
	}
	err = ScanDeadLetters(ctx, js, DeadLetterFilter{}, true, func(d *DeadLetter) error {
		if d.Class == jobs.ClassRejected {
			row(d.Type).DeadRejected++
		} else {
			row(d.Type).DeadOperational++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	paused, err := Paused(ctx, js)
	if err != nil {
		return nil, err
	}
	for t, p := range paused {
		p := p
		row(string(t)).Paused = &p
	}
	if st.Workers, err = liveWorkers(ctx, js); err != nil {
		return nil, err
	}
	for _, r := range rows {
		st.Types = append(st.Types, *r)
	}
	sort.Slice(st.Types, func(i, j int) bool { return st.Types[i].Type < st.Types[j].Type })
	return st, nil
}

// subjectCounts returns the message count per subject of stream under
// filter; an absent stream has none.
func subjectCounts(ctx context.Context, js jetstream.JetStream, stream, filter string) (map[string]uint64, error) {
	counts, err := worker.SubjectCounts(ctx, js, stream, filter)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	return counts, err
}

// consumerStats adds each consumer's pending, in-flight and redelivered
// counts to the type its filter subject names (subjects prefix + type [+ ...]).
func consumerStats(ctx context.Context, js jetstream.JetStream, stream, prefix string, row func(string) *TypeStats) error {
	s, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	lister := s.ListConsumers(ctx)
	for info := range lister.Info() {
		filters := info.Config.FilterSubjects
		if info.Config.FilterSubject != "" {
			filters = append(filters, info.Config.FilterSubject)
		}
		t := typeOfFilter(filters, prefix)
		if t == "" {
			continue
		}
		r := row(t)
		r.Pending += info.NumPending
		r.InFlight += info.NumAckPending
		r.Redelivered += info.NumRedelivered
	}
	if err := lister.Err(); err != nil {
		return fmt.Errorf("consumers of %s: %w", stream, err)
	}
	return nil
}

// typeOfFilter returns the known job type all filters of a consumer name,
// or "" when they name none or several.
func typeOfFilter(filters []string, prefix string) string {
	found := ""
	for _, f := range filters {
		rest, ok := strings.CutPrefix(f, prefix)
		if !ok {
			return ""
		}
		t := knownTypePrefix(rest)
		if t == "" || (found != "" && found != t) {
			return ""
		}
		found = t
	}
	return found
}

// knownTypePrefix returns the longest known job type that s is or starts
// with (followed by a dot).
func knownTypePrefix(s string) string {
	best := ""
	for _, t := range jobs.Types() {
		ts := string(t)
		if (s == ts || strings.HasPrefix(s, ts+".")) && len(ts) > len(best) {
			best = ts
		}
	}
	return best
}

// flowStats reads the per-flow backlog from the flows stream, if any.
func flowStats(ctx context.Context, js jetstream.JetStream, st *Stats, row func(string) *TypeStats) error {
	counts, err := subjectCounts(ctx, js, FlowsStream, FlowSubjectPrefix+">")
	if err != nil || counts == nil {
		if _, serr := js.Stream(ctx, FlowsStream); serr == nil {
			st.FlowsStream = true
		}
		return err
	}
	st.FlowsStream = true
	type key struct {
		t, m string
		p    int
	}
	agg := map[key]*FlowStats{}
	for subj, n := range counts {
		f, p, _, ok := worker.ParseGroupSubject(subj)
		t, m := string(f.Type), f.MchID
		if !ok {
			continue
		}
		k := key{t, m, p}
		if agg[k] == nil {
			agg[k] = &FlowStats{Type: t, MchID: m, Priority: p}
		}
		agg[k].Backlog += n
		agg[k].Keys++
	}
	for _, f := range agg {
		st.Flows = append(st.Flows, *f)
	}
	sort.Slice(st.Flows, func(i, j int) bool {
		a, b := st.Flows[i], st.Flows[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.MchID != b.MchID {
			return a.MchID < b.MchID
		}
		return a.Priority < b.Priority
	})
	return consumerStats(ctx, js, FlowsStream, FlowSubjectPrefix, row)
}

// liveWorkers counts the heartbeats in the rate limiter's members bucket.
func liveWorkers(ctx context.Context, js jetstream.JetStream) (int, error) {
	kv, err := OpenBucket(ctx, js, ratelimit.DefaultMembersBucket)
	if err != nil || kv == nil {
		return 0, err
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", ratelimit.DefaultMembersBucket, err)
	}
	n := 0
	for range keys.Keys() {
		n++
	}
	return n, nil
}
