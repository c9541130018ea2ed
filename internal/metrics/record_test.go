package metrics_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/metrics"
)

func TestHotPathMetricsOverHTTP(t *testing.T) {
	b := setup(t, nil)
	m := b.m
	m.Attempt("busifavor.use")
	m.Attempt("busifavor.use")
	m.JobFinished("busifavor.use", "succeeded", "", 1)
	m.JobFinished("busifavor.use", "failed", "NOT_ENOUGH", 2)
	m.APICall("busifavor.use", metrics.StatusClass(200), 0.004)
	m.APICall("busifavor.use", metrics.StatusClass(429), 0.002)
	m.APICall("busifavor.use", metrics.StatusClass(0), 3)
	m.Throttled("1900000001", "busifavor.use")
	m.BudgetWait("product_coupon.update", 0.2)
	m.Redelivered("product_coupon.update")
	m.InFlightInc("product_coupon.update")
	m.InFlightInc("product_coupon.update")
	m.InFlightDec("product_coupon.update")
	m.DeadLettered("busifavor.use", "NOT_ENOUGH")

	expected := `
# HELP couponq_build_info Always 1; the labels say which couponq build runs.
# TYPE couponq_build_info gauge
couponq_build_info{goversion="go1.26.8",signer="go",version="v1.2.3"} 1
# HELP couponq_jobs_finished_total Jobs that got their result, by type, outcome and error code (empty for succeeded).
# TYPE couponq_jobs_finished_total counter
couponq_jobs_finished_total{code="",outcome="succeeded",type="busifavor.stock.get"} 0
couponq_jobs_finished_total{code="",outcome="succeeded",type="busifavor.use"} 1
couponq_jobs_finished_total{code="",outcome="succeeded",type="other"} 0
couponq_jobs_finished_total{code="",outcome="succeeded",type="product_coupon.update"} 0
couponq_jobs_finished_total{code="",outcome="succeeded",type="product_coupon.use"} 0
couponq_jobs_finished_total{code="NOT_ENOUGH",outcome="failed",type="busifavor.use"} 1
# HELP couponq_dead_letters_total Dead letters this worker stored, by type and error code.
# TYPE couponq_dead_letters_total counter
couponq_dead_letters_total{code="NOT_ENOUGH",type="busifavor.use"} 1
# HELP couponq_in_flight_jobs Jobs this worker holds now, by type.
# TYPE couponq_in_flight_jobs gauge
couponq_in_flight_jobs{type="busifavor.stock.get"} 0
couponq_in_flight_jobs{type="busifavor.use"} 0
couponq_in_flight_jobs{type="other"} 0
couponq_in_flight_jobs{type="product_coupon.update"} 1
couponq_in_flight_jobs{type="product_coupon.use"} 0
`
	require.NoError(t, testutil.ScrapeAndCompare(b.url, strings.NewReader(expected),
		metrics.NameBuildInfo, metrics.NameJobsFinished, metrics.NameDeadLetters, metrics.NameInFlight))

	fams := scrape(t, b.url)
	require.Equal(t, 2.0, value(t, fams, metrics.NameAttempts, "type", "busifavor.use"))
	require.Equal(t, 1.0, value(t, fams, metrics.NameThrottled, "mchid", "1900000001", "type", "busifavor.use"))
	// A merchant's 429 series is made at its first 429, not up front.
	require.Len(t, fams[metrics.NameThrottled].GetMetric(), 1)
	require.Equal(t, 1.0, value(t, fams, metrics.NameRedeliveries, "type", "product_coupon.update"))
	api := fams[metrics.NameAPIRequestDuration]
	require.NotNil(t, api)
	counts := map[string]uint64{}
	for _, mt := range api.GetMetric() {
		l := labelMap(mt)
		if l["endpoint"] == "busifavor.use" {
			counts[l["status_class"]] = mt.GetHistogram().GetSampleCount()
		}
	}
	require.Equal(t, map[string]uint64{"2xx": 1, "4xx": 0, "429": 1, "5xx": 0, "transport": 1}, counts)
	wait := fams[metrics.NameRateWait]
	for _, mt := range wait.GetMetric() {
		if labelMap(mt)["type"] == "product_coupon.update" {
			require.Equal(t, uint64(1), mt.GetHistogram().GetSampleCount())
			require.InDelta(t, 0.2, mt.GetHistogram().GetSampleSum(), 1e-9)
		}
	}
	att := fams[metrics.NameJobAttempts]
	for _, mt := range att.GetMetric() {
		l := labelMap(mt)
		if l["type"] == "busifavor.use" && l["outcome"] == "failed" {
			require.Equal(t, 2.0, mt.GetHistogram().GetSampleSum())
		}
	}
}

func TestNilMetricsIsANoOp(t *testing.T) {
	var m *metrics.Metrics
	m.Attempt("busifavor.use")
	m.JobFinished("busifavor.use", "failed", "X", 1)
	m.APICall("busifavor.use", "2xx", 1)
	m.Throttled("1", "busifavor.use")
	m.BudgetWait("busifavor.use", 1)
	m.Redelivered("busifavor.use")
	m.InFlightInc("busifavor.use")
	m.InFlightDec("busifavor.use")
	m.DeadLettered("busifavor.use", "X")
	_, err := m.Snapshot(t.Context())
	require.Error(t, err)
}

func TestNewNeedsTypes(t *testing.T) {
	_, err := metrics.New(nil, metrics.Config{})
	require.ErrorContains(t, err, "no job types")
}

func TestSuccessPathAllocatesNothing(t *testing.T) {
	b := setup(t, nil)
	allocs := testing.AllocsPerRun(100, func() {
		b.m.Attempt("busifavor.use")
		b.m.BudgetWait("busifavor.use", 0.001)
		b.m.InFlightInc("busifavor.use")
		b.m.APICall("busifavor.use", metrics.Class2xx, 0.003)
		b.m.Throttled("1900000001", "busifavor.use")
		b.m.JobFinished("busifavor.use", "succeeded", "", 1)
		b.m.InFlightDec("busifavor.use")
	})
	require.Zero(t, allocs)
}

func BenchmarkJobSucceeded(b *testing.B) {
	m, err := metrics.New(newReg(), metrics.Config{Types: testTypes, Merchants: testMerchants})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Attempt("busifavor.use")
		m.InFlightInc("busifavor.use")
		m.APICall("busifavor.use", metrics.Class2xx, 0.003)
		m.JobFinished("busifavor.use", "succeeded", "", 1)
		m.InFlightDec("busifavor.use")
	}
}

func BenchmarkJobFailed(b *testing.B) {
	m, err := metrics.New(newReg(), metrics.Config{Types: testTypes, Merchants: testMerchants})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.JobFinished("busifavor.use", "failed", "NOT_ENOUGH", 1)
		m.DeadLettered("busifavor.use", "NOT_ENOUGH")
	}
}
