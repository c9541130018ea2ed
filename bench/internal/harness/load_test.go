package harness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
)

// The generated jobs must pass the validation the worker applies, or the
// benchmark would measure INVALID_JOB results instead of API calls.
func TestGeneratedJobsAreValid(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range []int{1, 99_999_999} {
		for _, tc := range []struct {
			t   jobs.Type
			job jobs.Job
		}{
			{jobs.TypeProductCouponUpdate, updateJob(i)},
			{jobs.TypeBusifavorUse, UseJob("BL", i)},
			{jobs.TypeBusifavorUse, UseJob(MeasuredPrefix, i)},
		} {
			p, err := jobs.Prepare(tc.t, tc.job, time.Now())
			require.NoError(t, err, "%s %d", tc.t, i)
			require.False(t, seen[p.MsgID], "ids are unique")
			seen[p.MsgID] = true
		}
	}
	p, err := jobs.Prepare(jobs.TypeBusifavorUse, UseJob(MeasuredPrefix, 7), time.Now())
	require.NoError(t, err)
	require.True(t, IsMeasured(p.MsgID))
	p, err = jobs.Prepare(jobs.TypeBusifavorUse, UseJob("WU", 7), time.Now())
	require.NoError(t, err)
	require.False(t, IsMeasured(p.MsgID))
}
