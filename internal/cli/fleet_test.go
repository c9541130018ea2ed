package cli_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/cli"
	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/testio"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// fleet is several worker "processes" (each its own NATS connection, limiter
// and client) sharing one NATS server and one external sandbox.
type fleet struct {
	t        *testing.T
	nats     *natstest.Server
	sb       *sandbox.Sandbox
	cfgPaths []string
	producer *jobs.Producer
	ctx      context.Context
}

func startFleet(t *testing.T, workers int, limits map[marketing.Operation]int, extra string) *fleet {
	t.Helper()
	keysDir := t.TempDir()
	k, _, err := sandbox.GenerateMerchant(filepath.Join(keysDir, sandbox.DefaultMchID), sandbox.DefaultMchID)
	require.NoError(t, err)
	sb, err := sandbox.New(sandbox.Config{Merchants: []sandbox.MerchantKeys{k}, Limits: limits})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	hs := httptest.NewServer(sb.Handler())
	t.Cleanup(hs.Close)
	srv := natstest.Start(t)
	ctx, cancel := context.WithCancel(natstest.Context(t))
	// Create the streams first so the backlog is stored in order (a producer
	// that publishes before any worker started is retried, but out of order).
	require.NoError(t, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{}))
	f := &fleet{t: t, nats: srv, sb: sb, ctx: ctx, producer: jobs.NewProducer(srv.JS, jobs.ProducerConfig{})}
	var wg sync.WaitGroup
	for i := range workers {
		path := filepath.Join(t.TempDir(), "config.yaml")
		body := fmt.Sprintf("worker:\n  id: fleet-%d\nnats:\n  url: %s\nwechat:\n  sandbox: true\n  base_url: %s\n  backup_url: \"-\"\n  sandbox_keys_dir: %s\n"+
			"merchants:\n  - mchid: %q\nlog:\n  level: %s\n%s", i, srv.ClientURL(), hs.URL, keysDir, sandbox.DefaultMchID, logLevel(), extra)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		f.cfgPaths = append(f.cfgPaths, path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var errOut testio.Buffer
			code := cli.RunWorker(ctx, []string{"--config", path}, &testio.Buffer{}, &errOut)
			if os.Getenv("FLEET_LOGS") != "" {
				t.Logf("worker %d log:\n%s", i, errOut.String())
			}
			if code != 0 {
				t.Errorf("worker %d exited %d:\n%s", i, code, errOut.String())
			}
		}()
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return f
}

func (f *fleet) publishUpdates(n int, prefix string) []string {
	f.t.Helper()
	b := f.producer.NewBatch(jobs.BatchConfig{})
	var ids []string
	for i := range n {
		no := fmt.Sprintf("%s-%06d", prefix, i)
		require.NoError(f.t, b.Add(f.ctx, jobs.TypeProductCouponUpdate, productCouponUpdateJob(no)))
		ids = append(ids, jobs.MsgID(jobs.TypeProductCouponUpdate, no))
	}
	rep, err := b.Wait(f.ctx)
	require.NoError(f.t, err)
	require.Empty(f.t, rep.Failed)
	return ids
}

func productCouponUpdateJob(no string) jobs.Job {
	return jobs.Job{Request: []byte(fmt.Sprintf(`{"product_coupon_id":%q,"out_request_no":%q,"brand_id":%q,`+
		`"display_info":{"name":"限时特惠券","image_url":"https://wxpaylogo.qpic.cn/a","background_url":"https://wxpaylogo.qpic.cn/b"}}`,
		sandbox.FixtureProductCouponID, no, sandbox.FixtureBrandID))}
}

// Three workers share one 20/s budget: measured at the API, no sliding
// second holds more than 20 and the API never answers 429 (tolerance: zero).
// Workers limiting per process would send 3 × 18/s here and collect many.
//
// Headroom: in production the fleet paces at 98.5% of the limit, which
// absorbs 15 ms of jitter between a paced slot and the request reaching the
// API; bench/ratelimit measures that on real processes. This test runs
// under the race detector on shared 2-core machines, where one request can
// stall for tens of milliseconds, so it paces at 90% (100 ms of jitter).
func TestFleetKeepsToTheLimitWithoutA429(t *testing.T) {
	const limit = 20
	f := startFleet(t, 3, map[marketing.Operation]int{marketing.OpProductCouponUpdate: limit},
		"limits:\n  product_coupon.update: 20\nratelimit:\n  headroom: 0.9\n")
	ids := f.publishUpdates(3*limit, "FLEET")
	ctx, cancel := context.WithTimeout(f.ctx, 60*time.Second)
	defer cancel()
	res, err := jobs.AwaitResults(ctx, f.nats.JS, ids, time.Time{}, nil)
	require.NoError(t, err)
	for _, id := range ids {
		require.Equal(t, jobs.StatusSucceeded, res[id].Status, "%s: %+v", id, res[id].Error)
	}
	st := f.sb.Stats(marketing.OpProductCouponUpdate)
	assert.Zero(t, st.Status429, "no 429 when the configured and real limits agree")
	assert.LessOrEqual(t, st.MaxAcceptedPerSecond, int64(limit))
	assert.Equal(t, int64(len(ids)), st.Requests, "every request was accepted the first time")
	workers := map[string]bool{}
	for _, r := range res {
		workers[r.Worker] = true
	}
	assert.Len(t, workers, 3, "all three workers took part")
}

// While a backlog of updates drains at its limit, a redemption (another lane,
// another budget) is not queued behind it: its result arrives while most of
// the backlog is still waiting.
func TestRedemptionIsNotHeldBehindAnUpdateBacklog(t *testing.T) {
	f := startFleet(t, 2, map[marketing.Operation]int{marketing.OpProductCouponUpdate: 10}, "limits:\n  product_coupon.update: 10\n")
	const backlog = 100
	updates := f.publishUpdates(backlog, "BACKLOG")
	// Wait until the backlog is being worked on.
	ctx, cancel := context.WithTimeout(f.ctx, 60*time.Second)
	defer cancel()
	_, err := jobs.AwaitResults(ctx, f.nats.JS, updates[:1], time.Time{}, nil)
	require.NoError(t, err)

	redeem := jobs.Job{Request: []byte(fmt.Sprintf(`{"coupon_code":"LANE-1","stock_id":%q,"appid":%q,"use_request_no":"LANE-USE-1"}`,
		sandbox.FixtureBusifavorStockID, sandbox.FixtureAppID))}
	pub, err := f.producer.Publish(f.ctx, jobs.TypeBusifavorUse, redeem)
	require.NoError(t, err)
	r, err := jobs.AwaitResults(ctx, f.nats.JS, []string{pub.MsgID}, time.Time{}, nil)
	require.NoError(t, err)
	require.Equal(t, jobs.StatusSucceeded, r[pub.MsgID].Status)
	done := f.sb.Stats(marketing.OpProductCouponUpdate).Requests
	assert.Less(t, done, int64(backlog/2), "the redemption finished while most updates still waited (%d of %d sent)", done, backlog)
}

// logLevel is warn unless FLEET_LOGS is set (to debug a fleet test).
func logLevel() string {
	if os.Getenv("FLEET_LOGS") != "" {
		return "info"
	}
	return "warn"
}
