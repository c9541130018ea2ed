package metrics_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/fleetview"
	"github.com/couponq/couponq/internal/metrics"
)

func fleetSnapshot() fleetview.Snapshot {
	return fleetview.Snapshot{
		Flows: []fleetview.FlowStat{
			{MchID: "1900000001", Type: "busifavor.use", Priority: 1, Backlog: 7, InFlight: 2},
			{MchID: "1900000001", Type: "busifavor.use", Priority: 5, Backlog: 900, InFlight: 40},
			// Two unconfigured merchants fold into one "other" series.
			{MchID: "8888", Type: "busifavor.use", Priority: 3, Backlog: 1},
			{MchID: "9999", Type: "busifavor.use", Priority: 3, Backlog: 2},
		},
		Limits: []fleetview.LimitStat{
			{MchID: "1900000001", Type: "product_coupon.update", Limit: 20, Budget: 15, Rate: 14.25, Cuts: 3},
		},
		Backlog:     map[string]uint64{"busifavor.use": 910, "product_coupon.update": 100000, "evil/JOB-42": 5},
		DLQDepth:    map[string]uint64{"busifavor.use": 4},
		LiveWorkers: 3,
	}
}

func TestFleetGaugesAtScrapeTime(t *testing.T) {
	src := &staticSource{snap: fleetSnapshot()}
	ready := errors.New("nats: disconnected")
	b := setup(t, func(c *metrics.Config) {
		c.Source = src
		c.Ready = func(context.Context) error { return ready }
	})
	expected := `
# HELP couponq_backlog_jobs Jobs waiting, fleet-wide, by type.
# TYPE couponq_backlog_jobs gauge
couponq_backlog_jobs{type="busifavor.use"} 910
couponq_backlog_jobs{type="other"} 5
couponq_backlog_jobs{type="product_coupon.update"} 100000
# HELP couponq_flow_backlog_jobs Jobs waiting, fleet-wide, by merchant, type and priority.
# TYPE couponq_flow_backlog_jobs gauge
couponq_flow_backlog_jobs{mchid="1900000001",priority="1",type="busifavor.use"} 7
couponq_flow_backlog_jobs{mchid="1900000001",priority="5",type="busifavor.use"} 900
couponq_flow_backlog_jobs{mchid="other",priority="3",type="busifavor.use"} 3
# HELP couponq_flow_in_flight_jobs Jobs delivered and not yet acknowledged, fleet-wide, by merchant, type and priority.
# TYPE couponq_flow_in_flight_jobs gauge
couponq_flow_in_flight_jobs{mchid="1900000001",priority="1",type="busifavor.use"} 2
couponq_flow_in_flight_jobs{mchid="1900000001",priority="5",type="busifavor.use"} 40
couponq_flow_in_flight_jobs{mchid="other",priority="3",type="busifavor.use"} 0
# HELP couponq_dlq_messages Dead letters stored, by type.
# TYPE couponq_dlq_messages gauge
couponq_dlq_messages{type="busifavor.use"} 4
# HELP couponq_rate_limit_requests_per_second Configured rate limit, by merchant and type.
# TYPE couponq_rate_limit_requests_per_second gauge
couponq_rate_limit_requests_per_second{mchid="1900000001",type="product_coupon.update"} 20
# HELP couponq_rate_budget_requests_per_second Current fleet rate budget after 429 feedback, by merchant and type.
# TYPE couponq_rate_budget_requests_per_second gauge
couponq_rate_budget_requests_per_second{mchid="1900000001",type="product_coupon.update"} 15
# HELP couponq_rate_paced_requests_per_second Rate the fleet paces to (headroom x budget), by merchant and type.
# TYPE couponq_rate_paced_requests_per_second gauge
couponq_rate_paced_requests_per_second{mchid="1900000001",type="product_coupon.update"} 14.25
# HELP couponq_rate_budget_cuts_total Budget cuts applied fleet-wide after 429s, by merchant and type.
# TYPE couponq_rate_budget_cuts_total counter
couponq_rate_budget_cuts_total{mchid="1900000001",type="product_coupon.update"} 3
# HELP couponq_live_workers Live workers in the fleet.
# TYPE couponq_live_workers gauge
couponq_live_workers 3
# HELP couponq_snapshot_success 1 if the fleet snapshot for this scrape was taken, else 0 (fleet metrics missing).
# TYPE couponq_snapshot_success gauge
couponq_snapshot_success 1
# HELP couponq_ready 1 while this worker is ready (as /readyz), else 0.
# TYPE couponq_ready gauge
couponq_ready 0
`
	require.NoError(t, testutil.ScrapeAndCompare(b.url, strings.NewReader(expected),
		metrics.NameBacklog, metrics.NameFlowBacklog, metrics.NameFlowInFlight, metrics.NameDLQ,
		metrics.NameRateLimit, metrics.NameRateBudget, metrics.NameRatePaced, metrics.NameRateCuts,
		metrics.NameLiveWorkers, metrics.NameSnapshotSuccess, metrics.NameReady))

	ready = nil
	fams := scrape(t, b.url)
	require.Equal(t, 1.0, value(t, fams, metrics.NameReady))
}

func TestFleetSnapshotFailureDropsTheFleetGauges(t *testing.T) {
	src := &staticSource{err: errors.New("nats: timeout")}
	b := setup(t, func(c *metrics.Config) { c.Source = src })
	fams := scrape(t, b.url)
	require.Equal(t, 0.0, value(t, fams, metrics.NameSnapshotSuccess))
	require.Nil(t, fams[metrics.NameLiveWorkers])
	require.Nil(t, fams[metrics.NameBacklog])
	require.NotNil(t, fams[metrics.NameJobsFinished], "the process metrics are still served")
	require.Nil(t, fams[metrics.NameReady], "no Ready configured")
}

func TestScrapeStormCostsOneSnapshot(t *testing.T) {
	src := &staticSource{snap: fleetSnapshot(), calls: make(chan struct{}, 100)}
	b := setup(t, func(c *metrics.Config) {
		c.Source = src
		c.CacheTTL = time.Hour
	})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { scrape(t, b.url) })
	}
	wg.Wait()
	snap, err := b.m.Snapshot(t.Context())
	require.NoError(t, err)
	require.Equal(t, 3, snap.LiveWorkers)
	require.Len(t, src.calls, 1, "20 scrapes and a dashboard read share one snapshot")
}
