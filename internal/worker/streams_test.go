package worker_test

import (
	"testing"
	"time"

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
