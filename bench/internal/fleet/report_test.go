package fleet

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

func TestReportRow(t *testing.T) {
	r := rowResult{
		row:    row{typ: jobs.TypeProductCouponUpdate, workers: 4, configured: 20, real: 12, probe: true, backlog: 100},
		window: 10 * time.Second,
		stats:  sandbox.EndpointStats{Requests: 121, Status2xx: 118, Status429: 3, MaxAcceptedPerSecond: 12},
		probe:  probeResult{queued: []time.Duration{4 * time.Millisecond}, direct: []time.Duration{3 * time.Millisecond}},
	}
	var out bytes.Buffer
	writeTable(&out, []rowResult{r})
	require.Contains(t, out.String(), "| product_coupon.update | 4 | 20 | 12 | 12 | 11.80 | 98.3% | 59.0% | 3 (2.48%) | 4.0 ms | 4.0 ms | 3.0 ms | 3.0 ms |")
}
