package schedbench

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
)

func TestParseOptionsQuick(t *testing.T) {
	o, err := ParseOptions([]string{"--quick", "--flows", "50"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, schedScenarios, o.Scenarios)
	require.Equal(t, 10_000, o.Campaign)
	require.Equal(t, 15*time.Second, o.Window)
	require.Equal(t, 50, o.Flows, "an explicit flag wins over --quick")
	require.Equal(t, 2, o.Workers)

	o, err = ParseOptions(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 100_000, o.Campaign, "the issue's campaign")
	require.Equal(t, 2000, o.Flows)

	for _, args := range [][]string{{"--scenarios", "nope"}, {"--flows", "0"}, {"--workers", "0"}, {"--probe-every", "1ms"}, {"extra"}} {
		_, err := ParseOptions(args, io.Discard)
		require.Error(t, err, "%v", args)
	}
}

// The generated jobs pass the worker's validation and their ids are unique
// across families and merchants (JetStream de-duplicates ids stream-wide).
func TestSchedJobsAreValid(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range []jobSpec{
		{typ: jobs.TypeProductCouponUpdate, mchid: merchantA, prefix: "A"},
		{typ: jobs.TypeProductCouponUpdate, mchid: merchantA, prefix: "K1", priority: jobs.LeastUrgent, key: "campaign-1"},
		{typ: jobs.TypeBusifavorUse, mchid: merchantB, prefix: "BW", priority: jobs.MostUrgent},
		{typ: jobs.TypeBusifavorUse, mchid: "1910001999", prefix: "F01999"},
	} {
		for _, i := range []int{0, 99_999_999} {
			p, err := jobs.Prepare(s.typ, s.job(i), time.Now())
			require.NoError(t, err, "%s %d", s.prefix, i)
			require.Equal(t, s.msgID(i), p.MsgID)
			require.False(t, seen[p.MsgID])
			seen[p.MsgID] = true
			_, err = s.request(i)
			require.NoError(t, err)
		}
	}
}

func TestCountBetween(t *testing.T) {
	t0 := time.Now()
	ts := []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)}
	require.Equal(t, 2, countBetween(ts, t0, t0.Add(2*time.Second)))
	require.Equal(t, 3, countBetween(ts, t0, t0.Add(2*time.Second+1)))
	require.Equal(t, 0, countBetween(ts, t0.Add(3*time.Second), t0.Add(4*time.Second)))
}
