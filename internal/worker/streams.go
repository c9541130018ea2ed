package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// StreamsConfig shapes the three streams of the contract.
type StreamsConfig struct {
	// Replicas of each stream. Default 1.
	Replicas int
	// DuplicateWindow for job, result and dead-letter ids. Default 24h.
	DuplicateWindow time.Duration
	// JobsMaxMsgs and JobsMaxBytes cap the jobs stream (DiscardNew: a full
	// stream refuses new jobs with an error). Default -1, no cap.
	JobsMaxMsgs, JobsMaxBytes int64
	// ResultsMaxAge and DLQMaxAge bound retention. Defaults 30 and 90 days.
	ResultsMaxAge, DLQMaxAge time.Duration
}

func (c *StreamsConfig) setDefaults() {
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = 24 * time.Hour
	}
	if c.JobsMaxMsgs == 0 {
		c.JobsMaxMsgs = -1
	}
	if c.JobsMaxBytes == 0 {
		c.JobsMaxBytes = -1
	}
	if c.ResultsMaxAge <= 0 {
		c.ResultsMaxAge = 30 * 24 * time.Hour
	}
	if c.DLQMaxAge <= 0 {
		c.DLQMaxAge = 90 * 24 * time.Hour
	}
}

// StreamConfigs returns the jobs, results and dead-letter stream
// configurations for c.
func StreamConfigs(c StreamsConfig) []jetstream.StreamConfig {
	c.setDefaults()
	dup := func(maxAge time.Duration) time.Duration {
		if maxAge > 0 && c.DuplicateWindow > maxAge {
			return maxAge
		}
		return c.DuplicateWindow
	}
	return []jetstream.StreamConfig{
		{
			Name:        jobs.JobsStream,
			Description: "couponq jobs awaiting a worker (work queue)",
			Subjects:    []string{jobs.JobSubjectPrefix + ">"},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Discard:     jetstream.DiscardNew,
			MaxMsgs:     c.JobsMaxMsgs,
			MaxBytes:    c.JobsMaxBytes,
			Duplicates:  dup(0),
			Replicas:    c.Replicas,
		},
		{
			Name:         FlowsStream,
			Description:  "couponq jobs sorted by flow, priority and fairness key (internal work queue)",
			Subjects:     []string{FlowSubjectPrefix + ">"},
			Retention:    jetstream.WorkQueuePolicy,
			Storage:      jetstream.FileStorage,
			Discard:      jetstream.DiscardNew,
			Duplicates:   dup(0),
			Replicas:     c.Replicas,
			MaxConsumers: flowsMaxConsumers,
		},
		{
			Name:        jobs.ResultsStream,
			Description: "couponq results: one per job",
			Subjects:    []string{jobs.ResultSubjectPrefix + ">"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Discard:     jetstream.DiscardOld,
			MaxAge:      c.ResultsMaxAge,
			Duplicates:  dup(c.ResultsMaxAge),
			Replicas:    c.Replicas,
		},
		{
			Name:        jobs.DLQStream,
			Description: "couponq dead letters: original bytes of failed jobs, reason in headers",
			Subjects:    []string{jobs.DLQSubjectPrefix + ">"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Discard:     jetstream.DiscardOld,
			MaxAge:      c.DLQMaxAge,
			Duplicates:  dup(c.DLQMaxAge),
			Replicas:    c.Replicas,
			AllowDirect: true,
		},
	}
}

// EnsureStreams creates the three streams or updates them to c, idempotently.
// A stream that already has this configuration is left alone: a fleet that
// starts together does not rewrite its streams once per worker (and so does
// not update a stream while another worker adds its consumers).
func EnsureStreams(ctx context.Context, js jetstream.JetStream, c StreamsConfig) error {
	for _, sc := range StreamConfigs(c) {
		if s, err := js.Stream(ctx, sc.Name); err == nil && sameStreamConfig(s.CachedInfo().Config, sc) {
			continue
		}
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("create or update stream %s: %w", sc.Name, err)
		}
	}
	if _, err := js.KeyValue(ctx, jobs.ControlBucket); err != nil {
		if _, err := js.CreateOrUpdateKeyValue(ctx, jobs.ControlBucketConfig(c.Replicas)); err != nil {
			return fmt.Errorf("create control bucket %s: %w", jobs.ControlBucket, err)
		}
	}
	return nil
}

// sameStreamConfig reports whether have already says everything want sets.
func sameStreamConfig(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) &&
		have.Description == want.Description &&
		have.Retention == want.Retention &&
		have.Storage == want.Storage &&
		have.Discard == want.Discard &&
		have.MaxMsgs == want.MaxMsgs &&
		have.MaxBytes == want.MaxBytes &&
		have.MaxAge == want.MaxAge &&
		have.Duplicates == want.Duplicates &&
		have.Replicas == want.Replicas &&
		(want.MaxConsumers == 0 || have.MaxConsumers == want.MaxConsumers) &&
		have.AllowDirect == want.AllowDirect
}

// ConsumerName is the durable intake consumer of job type t
// ("couponq_busifavor_use"): it moves valid jobs into their flow group.
func ConsumerName(t jobs.Type) string {
	return "couponq_" + strings.ReplaceAll(string(t), ".", "_")
}

// EnsureConsumer creates or updates the durable pull consumer of type t.
// MaxDeliver is unlimited on the server: the worker counts deliveries itself
// and dead-letters a job past MaxAttempts, so a job that crashes workers is
// never left behind in the work queue.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, t jobs.Type, c Config) (jetstream.Consumer, error) {
	c.setDefaults()
	cons, err := js.CreateOrUpdateConsumer(ctx, jobs.JobsStream, jetstream.ConsumerConfig{
		Durable:       ConsumerName(t),
		Description:   "couponq intake for " + string(t),
		FilterSubject: jobs.JobSubject(t),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: c.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("create or update consumer %s: %w", ConsumerName(t), err)
	}
	return cons, nil
}

// groupConsumerName is the durable consumer of one group: "g_" and a hash of
// its subject (subjects hold characters consumer names may not).
func groupConsumerName(subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return "g_" + hex.EncodeToString(sum[:12])
}

// flowsMaxConsumers caps the consumers of the flows stream: one per group
// with work, idle ones deleted after groupIdle. It must be set: without it
// nats-server (2.12 and later) applies its default of 1,000 consumers per
// stream (jetstream limits default_max_consumers), and the 1,001st group
// with work could not be served ("maximum consumers limit reached";
// measured with 2,000 merchant accounts by bench/scheduling). An account
// limit on consumers, where one is set, still applies.
const flowsMaxConsumers = 1_000_000

// groupIdle is how long a group's consumer lives without pulls: an idle
// flow costs the server nothing after it.
const groupIdle = 5 * time.Minute

// ensureGroupConsumer creates (or finds) the pull consumer of one group. Its
// state lives in memory: the jobs themselves are in the file-backed work
// queue, so a consumer lost with a server restart is created again and
// starts at the first job not yet acknowledged.
func ensureGroupConsumer(ctx context.Context, js jetstream.JetStream, subject string, c *Config) (jetstream.Consumer, error) {
	name := groupConsumerName(subject)
	cons, err := js.CreateOrUpdateConsumer(ctx, FlowsStream, jetstream.ConsumerConfig{
		Durable:           name,
		Description:       subject,
		FilterSubject:     subject,
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           c.AckWait,
		MaxDeliver:        -1,
		MaxAckPending:     c.MaxAckPending,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: groupIdle,
		MemoryStorage:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer for %s: %w", subject, err)
	}
	return cons, nil
}

// SubjectCounts returns the number of messages per subject of stream that
// match filter (one stream-info request); a missing stream's error wraps
// jetstream.ErrStreamNotFound.
func SubjectCounts(ctx context.Context, js jetstream.JetStream, stream, filter string) (map[string]uint64, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return nil, fmt.Errorf("stream %s info: %w", stream, err)
	}
	if info.State.Subjects == nil {
		return map[string]uint64{}, nil
	}
	return info.State.Subjects, nil
}
