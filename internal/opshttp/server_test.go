package opshttp

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/fleetview"
)

func TestHealthAndReadiness(t *testing.T) {
	b := setup(t, nil)
	status, _, body := b.get("/healthz")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok\n", string(body))

	status, _, body = b.get("/readyz")
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"ready":true}`, string(body))

	b.fleet.set(func(f *fakeFleet) {
		f.ready = errors.Join(errors.New("nats: disconnected"), errors.New("consumer busifavor_use: not found"))
	})
	status, hdr, body := b.get("/readyz")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "application/json", hdr.Get("Content-Type"))
	require.JSONEq(t, `{"ready":false,"reasons":["nats: disconnected","consumer busifavor_use: not found"]}`, string(body))

	status, _, _ = b.get("/healthz")
	require.Equal(t, http.StatusOK, status, "alive while not ready")
	_, _, body = b.get("/metrics")
	require.Contains(t, string(body), "\ncouponq_ready 0\n")
}

func TestMetricsEndpoint(t *testing.T) {
	b := setup(t, nil)
	b.m.JobFinished("busifavor.use", "succeeded", "", 1)
	b.fleet.set(func(f *fakeFleet) { f.snap = fleetview.Snapshot{LiveWorkers: 2} })
	status, _, body := b.get("/metrics")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), `couponq_jobs_finished_total{code="",outcome="succeeded",type="busifavor.use"} 1`)
	require.Contains(t, string(body), "\ncouponq_live_workers 2\n")
	require.Contains(t, string(body), `couponq_build_info{goversion=`)
}

func TestPprofIsOffByDefault(t *testing.T) {
	b := setup(t, nil)
	status, _, _ := b.get("/debug/pprof/")
	require.Equal(t, http.StatusNotFound, status)

	b = setup(t, func(c *Config) { c.Pprof = true })
	status, _, body := b.get("/debug/pprof/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), "goroutine")
}

func TestStatsHistoryAndRates(t *testing.T) {
	b := setup(t, nil)
	t0 := time.Unix(1_800_000_100, 0)
	b.fleet.set(func(f *fakeFleet) {
		f.snap = fleetview.Snapshot{
			Backlog:     map[string]uint64{"product_coupon.update": 500},
			DLQDepth:    map[string]uint64{"product_coupon.update": 2},
			LiveWorkers: 2,
			Limits: []fleetview.LimitStat{
				{MchID: "1900000001", Type: "product_coupon.update", Limit: 20, Budget: 18, Rate: 17.1},
				{MchID: "1900000002", Type: "product_coupon.update", Limit: 10, Budget: 10, Rate: 9.5},
			},
		}
	})
	// 20 calls in each 2 s interval: 10/s.
	for i := range 4 {
		for range 20 {
			b.m.APICall("product_coupon.update", "2xx", 0.003)
		}
		b.srv.sampler.sample(b.ctx, t0.Add(time.Duration(i)*2*time.Second))
	}
	b.m.JobFinished("product_coupon.update", "failed", "NOT_ENOUGH", 1)
	b.m.JobFinished("product_coupon.update", "failed", "JOB-123-ID", 1)
	b.m.Throttled("1900000001", "product_coupon.update")
	b.fleet.set(func(f *fakeFleet) { f.err = errors.New("nats: timeout") })
	b.srv.sampler.sample(b.ctx, t0.Add(8*time.Second))

	v := b.stats()
	require.Nil(t, v.Fleet)
	require.Equal(t, "fleet snapshot: nats: timeout", v.FleetErr)
	// The first sample is the one Start took.
	require.Equal(t, []int64{1_800_000_000_000, 1_800_000_100_000, 1_800_000_102_000, 1_800_000_104_000, 1_800_000_106_000, 1_800_000_108_000}, v.History.T)
	h := v.History.Types["product_coupon.update"]
	require.Nil(t, h.Sent[0])
	require.InDelta(t, 20.0/100, *h.Sent[1], 1e-9, "20 calls over the 100 s since Start's sample")
	for i := 2; i <= 4; i++ {
		require.InDelta(t, 10, *h.Sent[i], 1e-9)
	}
	require.InDelta(t, 0, *h.Sent[5], 1e-9)
	require.Nil(t, h.Limit[0], "no fleet at start")
	require.Equal(t, 30.0, *h.Limit[1], "limits summed over merchants")
	require.Equal(t, 28.0, *h.Budget[1])
	require.Equal(t, 500.0, *h.Backlog[4])
	require.Nil(t, h.Limit[5], "the snapshot failed")

	var found bool
	for _, ts := range v.Types {
		if ts.Type == "product_coupon.update" {
			found = true
			require.Equal(t, 2.0, ts.Failed)
			require.Equal(t, map[string]float64{"NOT_ENOUGH": 1, "OTHER": 1}, ts.FailedByCode)
			require.Equal(t, 1.0, ts.Throttled)
			require.InDelta(t, 0, *ts.SendRate, 1e-9)
		}
		require.NotEqual(t, "other", ts.Type, "other is hidden while empty")
	}
	require.True(t, found)
}

func TestHistoryIsBounded(t *testing.T) {
	b := setup(t, func(c *Config) { c.SampleEvery, c.History = time.Second, 5*time.Second })
	for i := range 12 {
		b.srv.sampler.sample(b.ctx, time.Unix(int64(2_000_000_000+i), 0))
	}
	v := b.stats()
	require.Len(t, v.History.T, 5)
	require.Equal(t, int64(2_000_000_011_000), v.History.T[4])
}

func TestTicksDriveSampling(t *testing.T) {
	ticks := make(chan time.Time)
	b := setup(t, func(c *Config) { c.Ticks = ticks })
	sampled := make(chan struct{})
	b.srv.sampler.onSample(func() { sampled <- struct{}{} })
	for i := range 3 {
		ticks <- time.Unix(int64(1_900_000_000+i), 0)
		<-sampled
	}
	require.Len(t, b.stats().History.T, 4)
}

func TestDashboardIsSelfContained(t *testing.T) {
	b := setup(t, nil)
	status, hdr, body := b.get("/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, hdr.Get("Content-Security-Policy"), "default-src 'none'")
	require.Contains(t, string(body), `<script src="app.js">`)
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, f := range []string{"/", "/app.js", "/style.css"} {
		status, _, body := b.get(f)
		require.Equal(t, http.StatusOK, status, f)
		for _, m := range external.FindAllString(string(body), -1) {
			require.Equal(t, "http://www.w3.org", m, "%s loads nothing from elsewhere", f)
		}
	}
	status, _, _ = b.get("/nope.js")
	require.Equal(t, http.StatusNotFound, status)
}

func TestStartContextEndStopsTheServer(t *testing.T) {
	fleet := &fakeFleet{}
	srv, err := New(Config{Listen: "127.0.0.1:0", Gatherer: emptyGatherer{}, Source: fleet, Ready: fleet.Ready})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, srv.Start(ctx))
	resp, err := http.Get("http://" + srv.Addr() + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	cancel()
	srv.wg.Wait() // every goroutine ends with ctx
	_, err = http.Get("http://" + srv.Addr() + "/healthz")
	require.Error(t, err)
}

func TestNewNamesEveryMissingField(t *testing.T) {
	_, err := New(Config{})
	require.Error(t, err)
	for _, want := range []string{"listen address is empty", "no Gatherer", "no Source", "no Ready"} {
		require.True(t, strings.Contains(err.Error(), want), "%q in %v", want, err)
	}
}
