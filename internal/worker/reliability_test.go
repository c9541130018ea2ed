package worker_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// sandboxFail makes every call of op fail with a 500 before taking effect.
func sandboxFail(op marketing.Operation) sandbox.Fault {
	return sandbox.Fault{Op: op, Kind: sandbox.FailBeforeEffect, Count: 100}
}

// Hostile bytes are refused, not repaired: invalid UTF-8 in the request,
// in meta, in a header, and an escaped lone surrogate each become
// INVALID_JOB with a dead letter, and nothing reaches the API.
func TestUnfaithfulTextIsInvalidJob(t *testing.T) {
	b := setup(t)
	req := func(code string) string {
		return `{"request":{"coupon_code":"` + code + `","stock_id":"100088","appid":"wx1234567889999","use_request_no":"NO-` +
			strings.Map(func(r rune) rune {
				if r < 'A' || r > 'z' {
					return 'X'
				}
				return r
			}, code) + `","use_time":"2026-01-02T03:04:05+08:00"}`
	}
	cases := []struct{ name, msgID, data, header, want string }{
		{"invalid UTF-8 in coupon_code", "busifavor.use/NO-UTF1", req("ab\xffcd") + `}`, "", "invalid UTF-8"},
		{"lone surrogate in coupon_code", "busifavor.use/NO-SUR1", req(`ab\ud800cd`) + `}`, "", "surrogate"},
		{"invalid UTF-8 in meta", "busifavor.use/NO-META", req("META") + ",\"meta\":{\"o\":\"\xc3\"}}", "", "invalid UTF-8"},
		{"invalid UTF-8 in a header", "busifavor.use/NO-HDR1", req("HDR1") + `}`, "\xfe", "header"},
		{"repeated envelope key", "busifavor.use/NO-DUP1", `{"id":"NO-DUP1","id":"NO-DUP2",` + req("DUP1")[1:] + `}`, "", "repeated"},
		{"case-folded envelope key", "busifavor.use/NO-CASE", `{"ID":"NO-CASE",` + req("CASE")[1:] + `}`, "", "unknown field"},
	}
	for _, c := range cases {
		m := &nats.Msg{Subject: jobs.JobSubject(jobs.TypeBusifavorUse), Data: []byte(c.data), Header: nats.Header{}}
		if c.header != "" {
			m.Header.Set("X-Producer", c.header)
		}
		_, err := b.nats.JS.PublishMsg(b.ctx, m, jetstream.WithMsgID(c.msgID))
		require.NoError(t, err)
	}
	b.start(testConfig("w1"), nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := b.await(c.msgID)[c.msgID]
			require.Equal(t, jobs.StatusFailed, r.Status)
			assert.Equal(t, jobs.CodeInvalidJob, r.Error.Code)
			assert.Contains(t, r.Error.Message, c.want)
		})
	}
	assert.Zero(t, b.sb.Stats(marketing.OpBusifavorUse).Requests, "nothing was sent")
	assert.Equal(t, int64(len(cases)), dlqCount(b))
}

// failOnceBudget grants every slot except the failAt-th reservation, which
// fails as if the fleet's pacing state were unreachable.
type failOnceBudget struct {
	calls  atomic.Int32
	failAt int32
}

func (f *failOnceBudget) Reserve(ctx context.Context, _ worker.Flow) (worker.Slot, error) {
	if f.calls.Add(1) == f.failAt {
		return nil, errors.New("pacing state unreachable")
	}
	return nowSlot{}, nil
}

func (f *failOnceBudget) Throttled(context.Context, worker.Flow) {}

// throttleOnce answers the first call with a 429 (after paying for it with
// the pacer, as the client does), then calls the API.
type throttleOnce struct {
	*wechat.Client
	once atomic.Bool
}

func (c *throttleOnce) DoPaced(ctx context.Context, mchid string, req marketing.Request, p wechat.Pacer) (*wechat.Response, error) {
	if c.once.CompareAndSwap(false, true) {
		if err := p.Wait(ctx, mchid, req.Operation()); err != nil {
			return nil, err
		}
		return nil, &wechat.APIError{Op: req.Operation(), StatusCode: 429, Code: "FREQUENCY_LIMITED", Message: "slow down"}
	}
	return c.Client.DoPaced(ctx, mchid, req, p)
}

// A job that got a 429 and then found no rate budget is handed back; that
// delivery is not an attempt.
func TestNoBudgetHandBackIsNotAnAttempt(t *testing.T) {
	b := setup(t)
	cfg := testConfig("nobudget")
	budget := &failOnceBudget{failAt: 2} // 1: the runner's slot (spent on the 429); 2: the retry's
	cfg.Budget = budget
	b.start(cfg, &throttleOnce{Client: b.client})
	id := b.publish(jobs.TypeBusifavorStockGet, stockGet("no-budget")).MsgID
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusSucceeded, r.Status, "%+v", r.Error)
	assert.Equal(t, 1, r.Attempts, "delivered twice, tried once")
	assert.GreaterOrEqual(t, budget.calls.Load(), int32(3))
	assert.Equal(t, int64(1), b.sb.Stats(marketing.OpBusifavorStockGet).Requests)
}

// blockedBudget gives slots whose Wait blocks until the worker cancels its
// calls at the shutdown deadline: the job is held, nothing is sent.
type blockedBudget struct{ reserved chan struct{} }

func (g *blockedBudget) Reserve(ctx context.Context, _ worker.Flow) (worker.Slot, error) {
	select {
	case g.reserved <- struct{}{}:
	default:
	}
	return blockedSlot{}, nil
}

func (g *blockedBudget) Throttled(context.Context, worker.Flow) {}

type blockedSlot struct{}

func (blockedSlot) Due() time.Duration { return 0 }
func (blockedSlot) Wait(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}
func (blockedSlot) Release() {}

// Jobs handed back at shutdown before anything was sent do not use up
// attempts, even when that happens more often than max_attempts.
func TestShutdownHandBacksAreNotAttempts(t *testing.T) {
	b := setup(t)
	id := b.publish(jobs.TypeBusifavorStockGet, stockGet("handed-back")).MsgID
	const rounds = 3
	for i := range rounds {
		cfg := testConfig("restart")
		cfg.MaxAttempts = 2 // fewer than the hand-backs
		// The hand-back (a nak and a KV write) gets a quarter of this after
		// the soft deadline; 200 ms left it 50 ms, which a loaded CI machine
		// overran once: the job then stayed held, came back after ack_wait
		// and counted as an attempt.
		cfg.ShutdownTimeout = 2 * time.Second
		g := &blockedBudget{reserved: make(chan struct{}, 1)}
		cfg.Budget = g
		r := b.start(cfg, nil)
		select {
		case <-g.reserved:
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: no slot reserved", i)
		}
		waitHeld(t, b, id)
		r.stop(t)
	}
	cfg := testConfig("last")
	cfg.MaxAttempts = 2
	b.start(cfg, nil)
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusSucceeded, r.Status, "%+v", r.Error)
	assert.Equal(t, 1, r.Attempts, "delivered %d times, tried once", rounds+1)
	assert.Equal(t, int64(1), b.sb.Stats(marketing.OpBusifavorStockGet).Requests)
}

// waitHeld waits until a job is delivered and unacknowledged on some
// group consumer of the flows stream.
func waitHeld(t *testing.T, b *bundle, _ string) {
	t.Helper()
	s, err := b.nats.JS.Stream(b.ctx, worker.FlowsStream)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for name := range s.ConsumerNames(b.ctx).Name() {
			c, err := s.Consumer(b.ctx, name)
			if err != nil {
				continue
			}
			if info, err := c.Info(b.ctx); err == nil && info.NumAckPending > 0 {
				return true
			}
		}
		return false
	}, 20*time.Second, 10*time.Millisecond)
}

// panicCaller panics on requests whose request number starts with prefix,
// up to times (negative: always), and calls the API otherwise.
type panicCaller struct {
	*wechat.Client
	prefix string
	mu     sync.Mutex
	left   int
}

func (c *panicCaller) DoPaced(ctx context.Context, mchid string, req marketing.Request, p wechat.Pacer) (*wechat.Response, error) {
	c.mu.Lock()
	hit := strings.HasPrefix(req.RequestNo(), c.prefix) && c.left != 0
	if hit && c.left > 0 {
		c.left--
	}
	c.mu.Unlock()
	if hit {
		panic("boom: " + req.RequestNo())
	}
	return c.Client.DoPaced(ctx, mchid, req, p)
}

// A job whose handling panics every time is failed with PANIC and
// dead-lettered after max_attempts; other jobs carry on, and so does the
// process. A panic that happens once is retried and succeeds.
func TestPanicIsContainedToItsJob(t *testing.T) {
	b := setup(t)
	cfg := testConfig("panics")
	cfg.MaxAttempts = 3
	b.start(cfg, &panicCaller{Client: b.client, prefix: "PCUPD-PANIC", left: -1})
	bad := b.publish(jobs.TypeProductCouponUpdate, productCouponUpdate("PCUPD-PANIC-1", "会恐慌的券")).MsgID
	good := b.publish(jobs.TypeProductCouponUse, productCouponUse("PC-CALM", "PCUSE-CALM-1")).MsgID
	res := b.await(bad, good)
	require.Equal(t, jobs.StatusSucceeded, res[good].Status)
	r := res[bad]
	require.Equal(t, jobs.StatusFailed, r.Status)
	assert.Equal(t, jobs.CodePanic, r.Error.Code)
	assert.Contains(t, r.Error.Message, "boom")
	assert.Equal(t, 3, r.Attempts)
	assert.Equal(t, int64(1), dlqCount(b))
	// The worker still works.
	after := b.publish(jobs.TypeProductCouponUse, productCouponUse("PC-AFTER", "PCUSE-AFTER-1")).MsgID
	assert.Equal(t, jobs.StatusSucceeded, b.await(after)[after].Status)
}

func TestPanicOnceIsRetried(t *testing.T) {
	b := setup(t)
	b.start(testConfig("panics-once"), &panicCaller{Client: b.client, prefix: "PCUPD-ONCE", left: 1})
	id := b.publish(jobs.TypeProductCouponUpdate, productCouponUpdate("PCUPD-ONCE-1", "恐慌一次的券")).MsgID
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusSucceeded, r.Status, "%+v", r.Error)
	assert.Equal(t, 2, r.Attempts)
}

// A consumer or stream deleted at run time is re-created; jobs keep flowing.
func TestMissingConsumerAndStreamAreRecreated(t *testing.T) {
	b := setup(t)
	cfg := testConfig("repair")
	cfg.ScanInterval = 100 * time.Millisecond
	b.start(cfg, nil)
	first := b.publish(jobs.TypeBusifavorStockGet, stockGet("before")).MsgID
	require.Equal(t, jobs.StatusSucceeded, b.await(first)[first].Status)

	require.NoError(t, b.nats.JS.DeleteConsumer(b.ctx, jobs.JobsStream, worker.ConsumerName(jobs.TypeBusifavorStockGet)))
	second := b.publish(jobs.TypeBusifavorStockGet, stockGet("after-consumer")).MsgID
	require.Equal(t, jobs.StatusSucceeded, b.await(second)[second].Status)

	require.NoError(t, b.nats.JS.DeleteStream(b.ctx, worker.FlowsStream))
	require.Eventually(t, func() bool {
		_, err := b.nats.JS.Stream(b.ctx, worker.FlowsStream)
		return err == nil
	}, 20*time.Second, 20*time.Millisecond, "the flows stream is re-created")
	third := b.publish(jobs.TypeBusifavorStockGet, stockGet("after-stream")).MsgID
	require.Equal(t, jobs.StatusSucceeded, b.await(third)[third].Status)
}

// retry.max_elapsed is measured on the server's clock (Config.ServerNow),
// never the local one: with the server two hours ahead, a job enqueued now
// is already past a one-hour budget at its first retryable error.
func TestMaxElapsedUsesTheServerClock(t *testing.T) {
	b := setup(t)
	b.sb.Inject(sandboxFail(marketing.OpBusifavorStockGet))
	cfg := testConfig("skewed")
	cfg.MaxElapsed = time.Hour
	cfg.ServerNow = func() time.Time { return time.Now().Add(2 * time.Hour) }
	b.start(cfg, nil)
	id := b.publish(jobs.TypeBusifavorStockGet, stockGet("skew")).MsgID
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusFailed, r.Status)
	assert.Equal(t, jobs.CodeRetriesExhausted, r.Error.Code)
	assert.Equal(t, 1, r.Attempts)
}

// Run returns within ShutdownTimeout even when a call ignores cancellation.
func TestShutdownFitsItsBudget(t *testing.T) {
	b := setup(t)
	release := make(chan struct{})
	defer close(release)
	cfg := testConfig("budget")
	cfg.ShutdownTimeout = time.Second
	js, err := jetstream.New(natstest.Connect(t, b.nats.ClientURL()))
	require.NoError(t, err)
	// No test logger: the stubborn call outlives Run by design.
	w, err := worker.New(cfg, js, stubbornCaller{release: release}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert.NoError(t, w.Run(ctx))
	}()
	b.publish(jobs.TypeBusifavorStockGet, stockGet("stubborn"))
	waitHeld(t, b, "")
	start := time.Now()
	cancel()
	<-done
	// Without the budget Run would wait for the stubborn call until the test
	// ends; a wide margin keeps a loaded machine from failing it.
	assert.Less(t, time.Since(start), cfg.ShutdownTimeout+5*time.Second)
}

// stubbornCaller blocks until released, ignoring its context.
type stubbornCaller struct{ release chan struct{} }

func (s stubbornCaller) DoPaced(context.Context, string, marketing.Request, wechat.Pacer) (*wechat.Response, error) {
	<-s.release
	return nil, errors.New("released")
}

func (stubbornCaller) Merchants() []string { return []string{mchid} }
