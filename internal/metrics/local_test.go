package metrics_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/metrics"
)

// Local gathers the per-process families and never the fleet gauges, so
// the dashboard's sampling never takes a snapshot nor builds a series per
// merchant and flow.
func TestLocalHoldsOnlyThisProcesssFamilies(t *testing.T) {
	src := &staticSource{snap: fleetSnapshot(), calls: make(chan struct{}, 16)}
	b := setup(t, func(c *metrics.Config) {
		c.Source = src
		c.Ready = func(context.Context) error { return nil }
	})
	b.m.JobFinished("busifavor.use", "succeeded", "", 1)
	b.m.Throttled("1900000001", "busifavor.use")
	fams, err := b.m.Local().Gather()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
	}
	require.True(t, names[metrics.NameJobsFinished])
	require.True(t, names[metrics.NameThrottled])
	for _, fleet := range []string{metrics.NameFlowBacklog, metrics.NameRateLimit, metrics.NameBacklog, metrics.NameReady, "go_goroutines"} {
		require.False(t, names[fleet], "%s is not the process's own", fleet)
	}
	require.Empty(t, src.calls, "no fleet snapshot taken")

	all, err := b.reg.Gather()
	require.NoError(t, err)
	require.Greater(t, len(all), len(fams), "the full registry still has the fleet gauges")
}
