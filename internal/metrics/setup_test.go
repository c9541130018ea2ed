package metrics_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/fleetview"
	"github.com/couponq/couponq/internal/metrics"
)

var (
	testTypes     = []string{"busifavor.use", "busifavor.stock.get", "product_coupon.use", "product_coupon.update"}
	testMerchants = []string{"1900000001", "1900000002"}
)

// bundle is a Metrics on its own registry, served by promhttp over real HTTP.
type bundle struct {
	m   *metrics.Metrics
	reg *prometheus.Registry
	url string
}

// setup builds Metrics with the test types and merchants; edit adjusts the
// config first.
func setup(t *testing.T, edit func(*metrics.Config)) *bundle {
	t.Helper()
	cfg := metrics.Config{
		Build:     metrics.BuildInfo{Version: "v1.2.3", GoVersion: "go1.26.8", Signer: "go"},
		Types:     testTypes,
		Merchants: testMerchants,
	}
	if edit != nil {
		edit(&cfg)
	}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return &bundle{m: m, reg: reg, url: srv.URL}
}

// staticSource returns a fixed snapshot (or error) and counts its calls.
type staticSource struct {
	snap  fleetview.Snapshot
	err   error
	calls chan struct{}
}

func (s *staticSource) Snapshot(ctx context.Context) (fleetview.Snapshot, error) {
	if s.calls != nil {
		s.calls <- struct{}{}
	}
	return s.snap, s.err
}
