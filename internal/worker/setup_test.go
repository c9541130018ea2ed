package worker_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

const mchid = sandbox.DefaultMchID

// Keys are generated once per test binary: RSA-2048 generation is slow under -race.
var (
	keysOnce       sync.Once
	sharedKeys     sandbox.MerchantKeys
	clientMerchant wechat.Merchant
)

func merchantKeys(t *testing.T) (sandbox.MerchantKeys, wechat.Merchant) {
	t.Helper()
	keysOnce.Do(func() {
		k, m, err := sandbox.NewMerchant(mchid)
		require.NoError(t, err)
		sharedKeys, clientMerchant = k, m
	})
	return sharedKeys, clientMerchant
}

// bundle is one test's world: JetStream, the sandbox behind two HTTP
// servers (primary and backup), a client, a producer.
type bundle struct {
	t        *testing.T
	nats     *natstest.Server
	sb       *sandbox.Sandbox
	client   *wechat.Client
	producer *jobs.Producer
	ctx      context.Context
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return setupMerchants(t, mchid)
}

// mchidB is a second merchant account for tests of flow isolation.
const mchidB = "1900000002"

// setupMerchants is setup with the sandbox and the client serving each of
// mchids (the first one's keys are shared between tests).
func setupMerchants(t *testing.T, mchids ...string) *bundle {
	t.Helper()
	var keys []sandbox.MerchantKeys
	var ms []wechat.Merchant
	for _, id := range mchids {
		k, m := merchantKeys(t)
		if id != mchid {
			var err error
			k, m, err = sandbox.NewMerchant(id)
			require.NoError(t, err)
		}
		keys, ms = append(keys, k), append(ms, m)
	}
	sb, err := sandbox.New(sandbox.Config{Merchants: keys})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	primary := httptest.NewServer(sb.Handler())
	t.Cleanup(primary.Close)
	backup := httptest.NewServer(sb.Handler())
	t.Cleanup(backup.Close)
	client, err := wechat.New(wechat.Config{BaseURL: primary.URL, BackupURL: backup.URL, Timeout: 5 * time.Second}, ms...)
	require.NoError(t, err)
	srv := natstest.Start(t)
	ctx := natstest.Context(t)
	require.NoError(t, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{}))
	return &bundle{t: t, nats: srv, sb: sb, client: client, producer: jobs.NewProducer(srv.JS, jobs.ProducerConfig{}), ctx: ctx}
}

// testConfig is a worker config with fast retries for tests.
func testConfig(id string) worker.Config {
	return worker.Config{
		ID:              id,
		InitialBackoff:  10 * time.Millisecond,
		MaxBackoff:      50 * time.Millisecond,
		MaxAttempts:     5,
		AckWait:         5 * time.Second,
		ShutdownTimeout: 5 * time.Second,
		FetchWait:       500 * time.Millisecond,
		JanitorInterval: 200 * time.Millisecond,
	}
}

// running is a worker started by start; stop ends it gracefully.
type running struct {
	w      *worker.Worker
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned; err is then set
	err    error
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		require.NoError(t, r.err)
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop")
	}
}

// start runs a worker on its own NATS connection (like a separate process).
func (b *bundle) start(cfg worker.Config, api worker.Caller) *running {
	b.t.Helper()
	nc := natstest.Connect(b.t, b.nats.ClientURL())
	js, err := jetstream.New(nc)
	require.NoError(b.t, err)
	if api == nil {
		api = b.client
	}
	w, err := worker.New(cfg, js, api, zaptest.NewLogger(b.t))
	require.NoError(b.t, err)
	ctx, cancel := context.WithCancel(b.ctx)
	r := &running{w: w, cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = w.Run(ctx)
		close(r.done)
	}()
	b.t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// publish sends a job through the producer library.
func (b *bundle) publish(t jobs.Type, job jobs.Job) *jobs.Published {
	b.t.Helper()
	pub, err := b.producer.Publish(b.ctx, t, job)
	require.NoError(b.t, err)
	return pub
}

// publishRaw sends bytes to a subject with an optional message id, as a
// producer that skips the library would.
func (b *bundle) publishRaw(subject, msgID string, data []byte) {
	b.t.Helper()
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	_, err := b.nats.JS.PublishMsg(b.ctx, &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}, opts...)
	require.NoError(b.t, err)
}

// await waits for the results of msgIDs.
func (b *bundle) await(msgIDs ...string) map[string]*jobs.Result {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	res, err := jobs.AwaitResults(ctx, b.nats.JS, msgIDs, time.Time{}, nil)
	require.NoError(b.t, err)
	return res
}

// streamMsgs returns every message stored on subject in stream.
func (b *bundle) streamMsgs(stream, subject string) []jetstream.Msg {
	b.t.Helper()
	cons, err := b.nats.JS.OrderedConsumer(b.ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	require.NoError(b.t, err)
	s, err := b.nats.JS.Stream(b.ctx, stream)
	require.NoError(b.t, err)
	info, err := s.Info(b.ctx, jetstream.WithSubjectFilter(subject))
	require.NoError(b.t, err)
	var total uint64
	for _, n := range info.State.Subjects {
		total += n
	}
	var out []jetstream.Msg
	if total == 0 {
		return out
	}
	batch, err := cons.Fetch(int(total), jetstream.FetchMaxWait(5*time.Second))
	require.NoError(b.t, err)
	for m := range batch.Messages() {
		out = append(out, m)
	}
	return out
}

// countResults counts stored results of one job (any status).
func (b *bundle) countResults(msgID string) int {
	b.t.Helper()
	n := 0
	for _, m := range b.streamMsgs(jobs.ResultsStream, jobs.ResultSubjectPrefix+">") {
		if m.Headers().Get(jetstream.MsgIDHeader) == msgID {
			n++
		}
	}
	return n
}

// Sample requests against the sandbox fixtures.

func busifavorUse(code, no string) jobs.Job {
	return jobJSON(map[string]any{"coupon_code": code, "stock_id": sandbox.FixtureBusifavorStockID, "appid": sandbox.FixtureAppID,
		"use_request_no": no, "use_time": "2026-01-02T03:04:05+08:00", "openid": "oUser1"})
}

func productCouponUse(code, no string) jobs.Job {
	return jobJSON(map[string]any{"openid": "oUser2", "coupon_code": code, "product_coupon_id": sandbox.FixtureProductCouponID,
		"stock_id": sandbox.FixtureProductStockID, "appid": sandbox.FixtureAppID, "use_time": "2026-01-02T03:04:05+08:00",
		"associated_order_info": map[string]any{"transaction_id": "4200000000123456789123456789"},
		"out_request_no":        no, "brand_id": sandbox.FixtureBrandID})
}

func productCouponUpdate(no, name string) jobs.Job {
	return jobJSON(map[string]any{"product_coupon_id": sandbox.FixtureProductCouponID, "out_request_no": no, "brand_id": sandbox.FixtureBrandID,
		"display_info": map[string]any{"name": name, "image_url": "https://wxpaylogo.qpic.cn/a", "background_url": "https://wxpaylogo.qpic.cn/b"}})
}

func stockGet(id string) jobs.Job {
	j := jobJSON(map[string]any{"stock_id": sandbox.FixtureBusifavorStockID})
	j.ID = id
	return j
}

func jobJSON(req map[string]any) jobs.Job {
	raw, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return jobs.Job{Request: raw, Meta: json.RawMessage(`{"order_id":"A-1001"}`)}
}
