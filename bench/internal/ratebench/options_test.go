package ratebench

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
)

func TestParseOptionsDefaults(t *testing.T) {
	o, err := ParseOptions(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, []string{ScenarioUpdate, ScenarioBusifavor, ScenarioUpdateDegraded, ScenarioBusifavorDegraded}, o.Scenarios)
	require.Equal(t, []int{1, 2, 4, 8}, o.UpdateWorkers)
	require.Equal(t, []int{1, 2, 4, 8}, o.BusifavorWorkers)
	require.Equal(t, []int{4}, o.DegradedWorkers)
	require.Equal(t, 30*time.Second, o.Window)
	require.Equal(t, 20, o.UpdateLimit)
	require.Equal(t, 500, o.BusifavorLimit)
	require.Equal(t, -10, o.SandboxNice)
}

func TestParseOptionsQuickKeepsExplicitFlags(t *testing.T) {
	o, err := ParseOptions([]string{"--quick", "--window", "7s"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 7*time.Second, o.Window, "explicit flag wins over --quick")
	require.Equal(t, 3*time.Second, o.Warmup)
	require.Equal(t, []int{1, 4}, o.BusifavorWorkers)
	require.Equal(t, []string{ScenarioUpdate, ScenarioBusifavor, ScenarioUpdateDegraded}, o.Scenarios)
}

func TestParseOptionsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"--scenarios", "update,nope"},
		{"--workers", "0"},
		{"--workers", "1,x"},
		{"--degraded-factor", "1.5"},
		{"--window", "0s"},
		{"--redeem-every", "1ms"},
		{"extra"},
	} {
		_, err := ParseOptions(args, io.Discard)
		require.Error(t, err, "%v", args)
	}
}

func TestPlanRows(t *testing.T) {
	o, err := ParseOptions([]string{"--workers", "1,8", "--busifavor-workers", "2", "--degraded-workers", "4"}, io.Discard)
	require.NoError(t, err)
	rows := PlanRows(o)
	require.Len(t, rows, 5)
	require.Equal(t, jobs.TypeProductCouponUpdate, rows[0].Type)
	require.Equal(t, 20, rows[0].Real)
	require.Equal(t, issueBacklog, rows[0].Backlog)
	require.True(t, rows[0].Probe)
	require.Equal(t, jobs.TypeBusifavorUse, rows[2].Type)
	require.False(t, rows[2].Probe)
	// 500/s for 5 s warmup + 20 s window + 10 s start-up, plus 30%.
	require.Equal(t, 22750, rows[2].Backlog)
	require.Equal(t, 12, rows[3].Real, "60% of 20")
	require.Equal(t, 20, rows[3].Configured)
	require.Equal(t, 300, rows[4].Real, "60% of 500")

	o.Unenforced = true
	rows = PlanRows(o)
	require.Equal(t, 0, rows[0].Real, "agreeing rows run unenforced")
	require.Equal(t, 12, rows[3].Real, "degraded rows stay enforced")
}

func TestCommandLineQuotes(t *testing.T) {
	require.Equal(t, "go run ./bench/ratelimit --quick --tmp '/a b'", harness.CommandLine("./bench/ratelimit", []string{"--quick", "--tmp", "/a b"}))
}
