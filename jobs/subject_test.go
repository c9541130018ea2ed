package jobs_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
)

func TestSubjects(t *testing.T) {
	cases := []struct {
		typ                               jobs.Type
		job, succeeded, failed, deadLeter string
	}{
		{jobs.TypeBusifavorUse, "couponq.jobs.busifavor.use", "couponq.results.busifavor.use.succeeded", "couponq.results.busifavor.use.failed", "couponq.dlq.busifavor.use"},
		{jobs.TypeBusifavorStockGet, "couponq.jobs.busifavor.stock.get", "couponq.results.busifavor.stock.get.succeeded", "couponq.results.busifavor.stock.get.failed", "couponq.dlq.busifavor.stock.get"},
		{jobs.TypeProductCouponUse, "couponq.jobs.product_coupon.use", "couponq.results.product_coupon.use.succeeded", "couponq.results.product_coupon.use.failed", "couponq.dlq.product_coupon.use"},
		{jobs.TypeProductCouponUpdate, "couponq.jobs.product_coupon.update", "couponq.results.product_coupon.update.succeeded", "couponq.results.product_coupon.update.failed", "couponq.dlq.product_coupon.update"},
	}
	require.Len(t, jobs.Types(), len(cases), "every type is covered")
	for _, c := range cases {
		t.Run(string(c.typ), func(t *testing.T) {
			assert.Equal(t, c.job, jobs.JobSubject(c.typ))
			assert.Equal(t, c.succeeded, jobs.ResultSubject(c.typ, jobs.StatusSucceeded))
			assert.Equal(t, c.failed, jobs.ResultSubject(c.typ, jobs.StatusFailed))
			assert.Equal(t, c.deadLeter, jobs.DLQSubject(c.typ))
			got, ok := jobs.TypeFromSubject(jobs.JobSubject(c.typ))
			assert.True(t, ok)
			assert.Equal(t, string(c.typ), got)
			parsed, err := jobs.ParseType(string(c.typ))
			require.NoError(t, err)
			assert.Equal(t, c.typ, parsed)
		})
	}
}

func TestTypeFromSubject(t *testing.T) {
	cases := []struct {
		subject, want string
		ok            bool
	}{
		{"couponq.jobs.product_coupon.update", "product_coupon.update", true},
		// Unknown types come back as they are, for the caller to report.
		{"couponq.jobs.coupon.teleport", "coupon.teleport", true},
		{"couponq.jobs.", "", true},
		// Not job subjects at all.
		{"couponq.results.busifavor.use.succeeded", "", false},
		{"couponq.dlq.busifavor.use", "", false},
		{"couponq.jobs", "", false},
		{"xcouponq.jobs.busifavor.use", "", false},
		{"COUPONQ.JOBS.busifavor.use", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := jobs.TypeFromSubject(c.subject)
		assert.Equal(t, c.ok, ok, c.subject)
		assert.Equal(t, c.want, got, c.subject)
	}
}

func TestParseTypeUnknown(t *testing.T) {
	for _, s := range []string{"", "busifavor", "busifavor.use.x", "BUSIFAVOR.USE", " busifavor.use"} {
		_, err := jobs.ParseType(s)
		require.Error(t, err, "%q", s)
		assert.Contains(t, err.Error(), "unknown job type")
		assert.Contains(t, err.Error(), "busifavor.use, busifavor.stock.get, product_coupon.use, product_coupon.update", "names the known types")
	}
}

func TestMsgID(t *testing.T) {
	assert.Equal(t, "busifavor.use/BF-1", jobs.MsgID(jobs.TypeBusifavorUse, "BF-1"))
	assert.Equal(t, "busifavor.stock.get/q:1.a_b-c", jobs.MsgID(jobs.TypeBusifavorStockGet, "q:1.a_b-c"))

	cases := []struct{ msgID, id string }{
		{"busifavor.use/BF-1", "BF-1"},
		{"busifavor.stock.get/q:1", "q:1"},
		// use_request_no may contain '/', so only the first one separates.
		{"busifavor.use/A/B", "A/B"},
		{"busifavor.use/", ""},
		{"busifavor.use", ""},
		{"", ""},
		{"/x", "x"},
	}
	for _, c := range cases {
		assert.Equal(t, c.id, jobs.IDFromMsgID(c.msgID), "%q", c.msgID)
	}
	// Round trip for every type.
	for _, typ := range jobs.Types() {
		assert.Equal(t, "ID-1/2", jobs.IDFromMsgID(jobs.MsgID(typ, "ID-1/2")))
	}
}

func TestResultSucceededAndDecode(t *testing.T) {
	r, err := jobs.DecodeResult([]byte(`{"id":"X","type":"busifavor.use","status":"failed","error":{"code":"NOT_ENOUGH","message":"m","retryable":true},"enqueued_at":"2026-01-02T03:04:05.123Z"}`))
	require.NoError(t, err)
	assert.False(t, r.Succeeded())
	assert.Equal(t, jobs.TypeBusifavorUse, r.Type)
	require.NotNil(t, r.Error)
	assert.Equal(t, "NOT_ENOUGH", r.Error.Code)
	assert.True(t, r.Error.Retryable)
	assert.Equal(t, 123_000_000, r.EnqueuedAt.Nanosecond())
	assert.True(t, (&jobs.Result{Status: jobs.StatusSucceeded}).Succeeded())
	_, err = jobs.DecodeResult([]byte(`{`))
	assert.Error(t, err)
}
