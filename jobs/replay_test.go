package jobs_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/couponq/couponq/jobs"
)

func TestReplayMsgIDRoundTrips(t *testing.T) {
	id := jobs.ReplayMsgID(jobs.TypeProductCouponUpdate, "UPD-000001", 42)
	assert.Equal(t, "product_coupon.update/UPD-000001/replay-42", id)
	typ, jid, replay, ok := jobs.ParseMsgID(id)
	assert.True(t, ok)
	assert.Equal(t, "product_coupon.update", typ)
	assert.Equal(t, "UPD-000001", jid)
	assert.Equal(t, uint64(42), replay)

	typ, jid, replay, ok = jobs.ParseMsgID("busifavor.stock.get/s1")
	assert.True(t, ok)
	assert.Equal(t, [3]any{"busifavor.stock.get", "s1", uint64(0)}, [3]any{typ, jid, replay})

	for _, bad := range []string{"", "x", "/id", "t/", "t/id/replay-0", "t/id/replay-", "t/id/replay-01", "t/id/again-3", "t/id/replay-3/x", "t/id/replay--1"} {
		_, _, _, ok := jobs.ParseMsgID(bad)
		assert.False(t, ok, bad)
	}
}

func TestFailureClass(t *testing.T) {
	for code, want := range map[string]string{
		jobs.CodeRetriesExhausted:   jobs.ClassOperational,
		jobs.CodeResponseUnverified: jobs.ClassOperational,
		jobs.CodeInvalidJob:         jobs.ClassOperational,
		"UNKNOWN_MERCHANT":          jobs.ClassOperational,
		"SIGN_ERROR":                jobs.ClassOperational,
		"HTTP_418":                  jobs.ClassOperational,
		"":                          jobs.ClassOperational,
		"NOT_FOUND":                 jobs.ClassRejected,
		"RESOURCE_ALREADY_EXISTS":   jobs.ClassRejected,
		"NOT_ENOUGH":                jobs.ClassRejected,
		"SOMETHING_NEW":             jobs.ClassRejected,
	} {
		assert.Equal(t, want, jobs.FailureClass(code), code)
	}
}
