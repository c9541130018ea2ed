package admin

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// ResultFilter selects results; empty fields select all.
type ResultFilter struct {
	Types    []jobs.Type
	Status   jobs.Status
	IDs      []string
	Campaign string
	// Since: results stored at or after it (zero: the whole stream).
	Since time.Time
	// Follow: after the stored results, wait for new ones until ctx ends.
	Follow bool
}

// StoredResult is a result with where it is stored.
type StoredResult struct {
	*jobs.Result
	// Seq is its sequence in the results stream; MsgID its message id.
	Seq   uint64
	MsgID string
	// Campaign is meta.campaign of the job, if any.
	Campaign string
}

// subjects are the results subjects the filter needs.
func (f ResultFilter) subjects() []string {
	if len(f.Types) == 0 && f.Status == "" {
		return nil // the whole stream
	}
	types := f.Types
	if len(types) == 0 {
		types = jobs.Types()
	}
	var out []string
	for _, t := range types {
		if f.Status != "" {
			out = append(out, jobs.ResultSubject(t, f.Status))
		} else {
			out = append(out, jobs.ResultSubjectPrefix+string(t)+".>")
		}
	}
	return out
}

// Match reports whether r passes the filter's id, status and campaign.
func (f ResultFilter) Match(r *StoredResult) bool {
	return (f.Status == "" || r.Status == f.Status) &&
		(len(f.IDs) == 0 || slices.Contains(f.IDs, r.ID)) &&
		(f.Campaign == "" || r.Campaign == f.Campaign)
}

// ScanResults calls fn for every result that matches f in stream order; with
// f.Follow it then waits for new results until ctx ends.
func ScanResults(ctx context.Context, js jetstream.JetStream, f ResultFilter, fn func(*StoredResult) error) error {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, FilterSubjects: f.subjects()}
	if !f.Since.IsZero() {
		since := f.Since
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &since
	}
	return scan(ctx, js, jobs.ResultsStream, cfg, f.Follow, func(m jetstream.Msg) error {
		r, err := jobs.DecodeResult(m.Data())
		if err != nil {
			return nil // not a result: skip
		}
		sr := &StoredResult{Result: r, MsgID: m.Headers().Get(jetstream.MsgIDHeader), Campaign: campaignOf(m.Data())}
		if md, err := m.Metadata(); err == nil {
			sr.Seq = md.Sequence.Stream
		}
		if sr.Replay == 0 {
			// Results of workers that predate the replay field: from the id.
			if _, _, replay, ok := jobs.ParseMsgID(sr.MsgID); ok {
				sr.Replay = replay
			}
		}
		if !f.Match(sr) {
			return nil
		}
		if err := fn(sr); err != nil {
			return fmt.Errorf("result %s: %w", sr.MsgID, err)
		}
		return nil
	})
}
