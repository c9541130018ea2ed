package jobs_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// bundle is one test's embedded JetStream with the contract's streams.
type bundle struct {
	t   *testing.T
	srv *natstest.Server
	js  jetstream.JetStream
	ctx context.Context
}

// setup starts an embedded JetStream server and creates the three streams
// with sc, unless sc is nil.
func setup(t *testing.T, sc *worker.StreamsConfig) *bundle {
	t.Helper()
	srv := natstest.Start(t)
	ctx := natstest.Context(t)
	if sc != nil {
		require.NoError(t, worker.EnsureStreams(ctx, srv.JS, *sc))
	}
	return &bundle{t: t, srv: srv, js: srv.JS, ctx: ctx}
}

// jobsStored returns every message in the jobs stream, in order.
func (b *bundle) jobsStored() []*jetstream.RawStreamMsg {
	b.t.Helper()
	return b.streamMsgs(jobs.JobsStream)
}

func (b *bundle) streamMsgs(name string) []*jetstream.RawStreamMsg {
	b.t.Helper()
	s, err := b.js.Stream(b.ctx, name)
	require.NoError(b.t, err)
	info, err := s.Info(b.ctx)
	require.NoError(b.t, err)
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(b.ctx, seq)
		if err != nil {
			continue // deleted
		}
		out = append(out, m)
	}
	return out
}
