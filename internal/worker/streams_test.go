package worker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// EnsureStreams leaves matching streams alone but still applies a change.
func TestEnsureStreamsAppliesChangedConfig(t *testing.T) {
	srv := natstest.Start(t)
	ctx := natstest.Context(t)
	require.NoError(t, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{}))
	require.NoError(t, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{}), "idempotent")
	require.NoError(t, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{DuplicateWindow: time.Hour, JobsMaxMsgs: 1000}))
	s, err := srv.JS.Stream(ctx, jobs.JobsStream)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, s.CachedInfo().Config.Duplicates)
	assert.Equal(t, int64(1000), s.CachedInfo().Config.MaxMsgs)
}

// The flows stream takes more than nats-server's default of 1,000
// consumers per stream: one per group with work (2,000 merchant accounts
// with work need 2,000).
func TestFlowsStreamTakesManyConsumers(t *testing.T) {
	srv := natstest.Start(t)
	ctx := natstest.Context(t)
	require.NoError(t, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{}))
	for i := range 1001 {
		_, err := srv.JS.CreateConsumer(ctx, worker.FlowsStream, jetstream.ConsumerConfig{
			FilterSubject: fmt.Sprintf("%sproduct_coupon.update.%d.3.~", worker.FlowSubjectPrefix, 1900000000+i),
			AckPolicy:     jetstream.AckExplicitPolicy,
			MemoryStorage: true,
		})
		require.NoError(t, err, "consumer %d", i+1)
	}
	require.NoError(t, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{}), "idempotent with many consumers")
}
