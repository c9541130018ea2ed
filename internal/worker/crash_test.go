package worker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// dyingCaller makes the real call, then cuts the worker's NATS connection
// and never returns: a worker that died after the API took effect and
// before it could store the result or acknowledge.
type dyingCaller struct {
	*wechat.Client
	nc   *nats.Conn
	once sync.Once
	died chan struct{}
}

func (d *dyingCaller) DoPaced(ctx context.Context, mchid string, req marketing.Request, p wechat.Pacer) (*wechat.Response, error) {
	resp, err := d.Client.DoPaced(ctx, mchid, req, p)
	d.once.Do(func() {
		d.nc.Close()
		close(d.died)
	})
	<-ctx.Done()
	return resp, err
}

func TestWorkerDyingMidFlightGivesExactlyOneResultAndOneEffect(t *testing.T) {
	b := setup(t)
	cfg := testConfig("dies")
	cfg.AckWait = time.Second
	nc := natstest.Connect(t, b.nats.ClientURL())
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	dying := &dyingCaller{Client: b.client, nc: nc, died: make(chan struct{})}
	w, err := worker.New(cfg, js, dying, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	id := b.publish(jobs.TypeProductCouponUse, productCouponUse("PC-DIE", "PCUSE-DIE-01")).MsgID
	select {
	case <-dying.died:
	case <-time.After(20 * time.Second):
		t.Fatal("the first worker never made the call")
	}
	require.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUse), "the call took effect before the worker died")

	cfg2 := testConfig("survivor")
	cfg2.AckWait = time.Second
	b.start(cfg2, nil)
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusSucceeded, r.Status, "%+v", r.Error)
	assert.Equal(t, "survivor", r.Worker)
	assert.Equal(t, 2, r.Attempts, "redelivered after ack_wait")
	assert.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUse), "the repeat with the same request number had no second effect")
	assert.Equal(t, int64(2), b.sb.Stats(marketing.OpProductCouponUse).Requests)
	assert.Equal(t, 1, b.countResults(id))
}

func TestCrashLoopingJobIsDeadLettered(t *testing.T) {
	b := setup(t)
	cfg := testConfig("w1")
	cfg.MaxAttempts = 2
	cfg.AckWait = time.Second
	id := b.publish(jobs.TypeBusifavorStockGet, stockGet("crash-loop")).MsgID
	// Two deliveries that "crash": taken and never settled.
	cons, err := worker.EnsureConsumer(b.ctx, b.nats.JS, jobs.TypeBusifavorStockGet, cfg)
	require.NoError(t, err)
	for i := 1; i <= 2; i++ {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
		require.NoError(t, err)
		var got []jetstream.Msg
		for m := range batch.Messages() {
			got = append(got, m)
		}
		require.Len(t, got, 1, "delivery %d", i)
		md, err := got[0].Metadata()
		require.NoError(t, err)
		require.Equal(t, uint64(i), md.NumDelivered)
	}
	b.start(cfg, nil)
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusFailed, r.Status)
	assert.Equal(t, jobs.CodeRetriesExhausted, r.Error.Code)
	assert.Contains(t, r.Error.Message, "without being settled")
	assert.Equal(t, 3, r.Attempts)
	assert.Zero(t, b.sb.Stats(marketing.OpBusifavorStockGet).Requests, "a crash-looping job is not sent again")
	assert.Equal(t, int64(1), dlqCount(b))
	s, err := b.nats.JS.Stream(b.ctx, jobs.JobsStream)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := s.Info(b.ctx)
		return err == nil && info.State.Msgs == 0
	}, 10*time.Second, 20*time.Millisecond, "the job left the work queue")
}

func TestTwoWorkersShareTheConsumers(t *testing.T) {
	b := setup(t)
	const n = 20
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Latency, Delay: 30 * time.Millisecond, Count: n})
	for _, id := range []string{"w1", "w2"} {
		cfg := testConfig(id)
		cfg.Concurrency = map[jobs.Type]int{jobs.TypeBusifavorUse: 1}
		b.start(cfg, nil)
	}
	var ids []string
	for i := range n {
		no := "BF-SHARE-" + string(rune('A'+i))
		ids = append(ids, b.publish(jobs.TypeBusifavorUse, busifavorUse("CODE-"+no, no)).MsgID)
	}
	res := b.await(ids...)
	byWorker := map[string]int{}
	for _, id := range ids {
		require.Equal(t, jobs.StatusSucceeded, res[id].Status)
		byWorker[res[id].Worker]++
		assert.Equal(t, 1, b.countResults(id))
	}
	assert.Len(t, byWorker, 2, "both workers took jobs: %v", byWorker)
	assert.Equal(t, n, b.sb.Effects(marketing.OpBusifavorUse))
}

func TestGracefulShutdownLosesNothing(t *testing.T) {
	b := setup(t)
	const n = 8
	b.sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUse, Kind: sandbox.Latency, Delay: 200 * time.Millisecond, Count: n})
	first := b.start(testConfig("first"), nil)
	var ids []string
	for i := range n {
		no := "PCUSE-GRACE-" + string(rune('A'+i))
		ids = append(ids, b.publish(jobs.TypeProductCouponUse, productCouponUse("PC-"+no, no)).MsgID)
	}
	require.Eventually(t, func() bool { return b.sb.Stats(marketing.OpProductCouponUse).Requests > 0 },
		10*time.Second, 5*time.Millisecond, "jobs in flight")
	first.stop(t) // finishes what it holds, pulls nothing new
	b.start(testConfig("second"), nil)
	res := b.await(ids...)
	for _, id := range ids {
		require.Equal(t, jobs.StatusSucceeded, res[id].Status, id)
		assert.Equal(t, 1, b.countResults(id))
	}
	assert.Equal(t, n, b.sb.Effects(marketing.OpProductCouponUse))
}

func TestShutdownDeadlineHandsJobsBack(t *testing.T) {
	b := setup(t)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorStockGet, Kind: sandbox.Hang, Count: 1})
	cfg := testConfig("first")
	cfg.ShutdownTimeout = 300 * time.Millisecond
	first := b.start(cfg, nil)
	id := b.publish(jobs.TypeBusifavorStockGet, stockGet("hangs-once")).MsgID
	require.Eventually(t, func() bool { return b.sb.Stats(marketing.OpBusifavorStockGet).Requests > 0 },
		10*time.Second, 5*time.Millisecond, "the call is hanging")
	first.stop(t)
	b.start(testConfig("second"), nil)
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusSucceeded, r.Status, "%+v", r.Error)
	assert.Equal(t, "second", r.Worker)
	assert.Equal(t, 2, r.Attempts)
	assert.Equal(t, 1, b.countResults(id))
}
