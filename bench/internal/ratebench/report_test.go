package ratebench

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

func TestReportRow(t *testing.T) {
	r := RowResult{
		Row:    Row{Type: jobs.TypeProductCouponUpdate, Workers: 4, Configured: 20, Real: 12, Probe: true, Backlog: 100},
		window: 10 * time.Second,
		Stats:  sandbox.EndpointStats{Requests: 121, Status2xx: 118, Status429: 3, MaxAcceptedPerSecond: 12},
		Probe:  harness.ProbeResult{Queued: []time.Duration{4 * time.Millisecond}, Direct: []time.Duration{3 * time.Millisecond}},
	}
	var out bytes.Buffer
	writeTable(&out, []RowResult{r})
	require.Contains(t, out.String(), "| product_coupon.update | 4 | 20 | 12 | 12 | 11.80 | 98.3% | 59.0% | 3 (2.48%) | 4.0 ms | 4.0 ms | 3.0 ms | 3.0 ms |")
}
