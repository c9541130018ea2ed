package opshttp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/internal/fleetview"
	"github.com/couponq/couponq/internal/metrics"
)

var testTypes = []string{"busifavor.use", "busifavor.stock.get", "product_coupon.use", "product_coupon.update"}

// fakeFleet is a settable fleet: a UI test's stand-in for NATS.
type fakeFleet struct {
	mu    sync.Mutex
	snap  fleetview.Snapshot
	err   error
	ready error
}

func (f *fakeFleet) Snapshot(context.Context) (fleetview.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap, f.err
}

func (f *fakeFleet) Ready(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

func (f *fakeFleet) set(edit func(f *fakeFleet)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f)
}

// bundle is a started Server over real metrics and a fake fleet, whose
// samples the test takes itself.
type bundle struct {
	t     *testing.T
	ctx   context.Context
	srv   *Server
	m     *metrics.Metrics
	fleet *fakeFleet
	url   string
}

func setup(t *testing.T, edit func(*Config)) *bundle {
	t.Helper()
	fleet := &fakeFleet{}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Config{
		Build: metrics.BuildInfo{Version: "v0.9.0"}, Types: testTypes, Merchants: []string{"1900000001", "1900000002"},
		Source: fleet, Ready: fleet.Ready, CacheTTL: time.Nanosecond,
	})
	require.NoError(t, err)
	cfg := Config{
		Listen: "127.0.0.1:0", Gatherer: reg, Source: m, Ready: fleet.Ready, Version: "v0.9.0",
		Ticks: make(chan time.Time), // never fed: the test calls sample itself
		Clock: clock.Func(func() time.Time { return time.Unix(1_800_000_000, 0) }),
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
	})
	return &bundle{t: t, ctx: t.Context(), srv: srv, m: m, fleet: fleet, url: "http://" + srv.Addr()}
}

// get fetches path and returns status, headers and body.
func (b *bundle) get(path string) (int, http.Header, []byte) {
	b.t.Helper()
	resp, err := http.Get(b.url + path)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, resp.Header, body
}

// stats fetches and decodes /api/stats.
func (b *bundle) stats() statsView {
	b.t.Helper()
	status, _, body := b.get("/api/stats")
	require.Equal(b.t, http.StatusOK, status)
	var v statsView
	require.NoError(b.t, json.Unmarshal(body, &v), string(body))
	return v
}

// statsView decodes /api/stats as a client does (nulls as nil).
type statsView struct {
	Readiness readiness           `json:"readiness"`
	Fleet     *fleetview.Snapshot `json:"fleet"`
	FleetErr  string              `json:"fleet_error"`
	Types     []struct {
		Type         string             `json:"type"`
		Succeeded    float64            `json:"succeeded"`
		Failed       float64            `json:"failed"`
		FailedByCode map[string]float64 `json:"failed_by_code"`
		Throttled    float64            `json:"throttled"`
		InFlight     float64            `json:"in_flight"`
		Backlog      uint64             `json:"backlog"`
		DLQDepth     uint64             `json:"dlq_depth"`
		Limit        float64            `json:"limit"`
		SendRate     *float64           `json:"send_rate"`
	} `json:"types"`
	History struct {
		T     []int64 `json:"t"`
		Types map[string]struct {
			Sent    []*float64 `json:"sent"`
			Limit   []*float64 `json:"limit"`
			Budget  []*float64 `json:"budget"`
			Backlog []*float64 `json:"backlog"`
		} `json:"types"`
	} `json:"history"`
}

// emptyGatherer gathers nothing.
type emptyGatherer struct{}

func (emptyGatherer) Gather() ([]*dto.MetricFamily, error) { return nil, nil }
