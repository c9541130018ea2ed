package worker_test

import (
	"encoding/json"
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

func TestAllFourTypesEndToEnd(t *testing.T) {
	b := setup(t)
	b.start(testConfig("w1"), nil)
	ids := []string{
		b.publish(jobs.TypeBusifavorUse, busifavorUse("CODE-1", "BFUSE-1")).MsgID,
		b.publish(jobs.TypeBusifavorStockGet, stockGet("stock-q-1")).MsgID,
		b.publish(jobs.TypeProductCouponUse, productCouponUse("PC-1", "PCUSE-000001")).MsgID,
		b.publish(jobs.TypeProductCouponUpdate, productCouponUpdate("PCUPD-000001", "新的名字好")).MsgID,
	}
	res := b.await(ids...)
	for _, id := range ids {
		r := res[id]
		require.NotNil(t, r, id)
		assert.Equal(t, jobs.StatusSucceeded, r.Status, "%s: %+v", id, r.Error)
		assert.Equal(t, mchid, r.MchID)
		assert.Equal(t, 1, r.Attempts)
		assert.Equal(t, 200, r.HTTPStatus)
		assert.NotEmpty(t, r.RequestID)
		assert.True(t, json.Valid(r.Response), "response is the API's JSON")
		assert.JSONEq(t, `{"order_id":"A-1001"}`, string(r.Meta))
		assert.Equal(t, "w1", r.Worker)
		assert.False(t, r.EnqueuedAt.IsZero())
		assert.False(t, r.FinishedAt.Before(r.EnqueuedAt))
	}
	assert.Equal(t, "BFUSE-1", res["busifavor.use/BFUSE-1"].ID, "id derived from use_request_no")
	var pc marketing.ProductCoupon
	require.NoError(t, json.Unmarshal(res["product_coupon.update/PCUPD-000001"].Response, &pc))
	assert.Equal(t, "新的名字好", pc.DisplayInfo.Name, "the update took effect")
	for _, op := range marketing.Operations() {
		assert.Equal(t, int64(1), b.sb.Stats(op).Requests, op)
	}
}

func TestJobPublishedTwiceIsProcessedOnce(t *testing.T) {
	b := setup(t)
	first := b.publish(jobs.TypeBusifavorUse, busifavorUse("CODE-2", "BFUSE-2"))
	second := b.publish(jobs.TypeBusifavorUse, busifavorUse("CODE-2", "BFUSE-2"))
	assert.False(t, first.Duplicate)
	assert.True(t, second.Duplicate, "JetStream drops the second copy")
	b.start(testConfig("w1"), nil)
	res := b.await(first.MsgID)
	assert.Equal(t, jobs.StatusSucceeded, res[first.MsgID].Status)
	assert.Equal(t, 1, b.countResults(first.MsgID))
	assert.Equal(t, int64(1), b.sb.Stats(marketing.OpBusifavorUse).Requests)
	assert.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse))
}

func TestServerErrorsAreRetriedToSuccess(t *testing.T) {
	b := setup(t)
	// Two 500s before the effect: the primary fails, the backup fails, then
	// the next delivery succeeds.
	b.sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUse, Kind: sandbox.FailBeforeEffect, Count: 2})
	// A 500 after the effect: the retry gets WeChat's idempotent 200.
	b.sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUpdate, Kind: sandbox.FailAfterEffect, Count: 2})
	b.start(testConfig("w1"), nil)
	use := b.publish(jobs.TypeProductCouponUse, productCouponUse("PC-3", "PCUSE-000003")).MsgID
	upd := b.publish(jobs.TypeProductCouponUpdate, productCouponUpdate("PCUPD-000003", "重试后成功")).MsgID
	res := b.await(use, upd)
	require.Equal(t, jobs.StatusSucceeded, res[use].Status, "%+v", res[use].Error)
	assert.Equal(t, 2, res[use].Attempts)
	require.Equal(t, jobs.StatusSucceeded, res[upd].Status, "%+v", res[upd].Error)
	assert.Equal(t, 2, res[upd].Attempts)
	assert.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUpdate), "one effect despite the repeat")
	assert.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUse))
	assert.Equal(t, int64(0), dlqCount(b), "nothing dead-lettered")
}

func TestRateLimitedCallsAreRetriedToSuccess(t *testing.T) {
	b := setup(t)
	b.sb.SetLimit(marketing.OpProductCouponUpdate, 2)
	b.start(testConfig("w1"), nil)
	var ids []string
	for i := range 6 {
		no := "PCUPD-RL-00" + string(rune('0'+i))
		ids = append(ids, b.publish(jobs.TypeProductCouponUpdate, productCouponUpdate(no, "限流后成功")).MsgID)
	}
	res := b.await(ids...)
	for _, id := range ids {
		require.Equal(t, jobs.StatusSucceeded, res[id].Status, "%s: %+v", id, res[id].Error)
		assert.Equal(t, 1, res[id].Attempts, "a 429 does not burn an attempt")
	}
	st := b.sb.Stats(marketing.OpProductCouponUpdate)
	assert.Positive(t, st.Status429, "the sandbox limited some calls")
	assert.LessOrEqual(t, st.MaxAcceptedPerSecond, int64(2))
	assert.Equal(t, 6, b.sb.Effects(marketing.OpProductCouponUpdate))
}

func TestPermanentErrorGivesFailedResultAndDeadLetter(t *testing.T) {
	b := setup(t)
	b.start(testConfig("w1"), nil)
	ok := b.publish(jobs.TypeBusifavorUse, busifavorUse("CODE-4", "BFUSE-4A")).MsgID
	b.await(ok)
	again := b.publish(jobs.TypeBusifavorUse, busifavorUse("CODE-4", "BFUSE-4B")).MsgID
	r := b.await(again)[again]
	require.Equal(t, jobs.StatusFailed, r.Status)
	assert.Equal(t, "RESOURCE_ALREADY_EXISTS", r.Error.Code)
	assert.False(t, r.Error.Retryable)
	assert.Equal(t, 400, r.HTTPStatus)
	assert.NotEmpty(t, r.RequestID)
	assert.Equal(t, 1, r.Attempts)

	dl := b.streamMsgs(jobs.DLQStream, jobs.DLQSubject(jobs.TypeBusifavorUse))
	require.Len(t, dl, 1)
	h := dl[0].Headers()
	assert.Equal(t, "RESOURCE_ALREADY_EXISTS", h.Get(jobs.HeaderErrorCode))
	assert.Equal(t, jobs.ClassRejected, h.Get(jobs.HeaderFailureClass))
	assert.Equal(t, again, h.Get("Nats-Msg-Id"))
	assert.Equal(t, "1", h.Get(jobs.HeaderAttempts))
	assert.NotEmpty(t, h.Get(jobs.HeaderRequestID))
	d, err := jobs.Decode(jobs.TypeBusifavorUse, dl[0].Data())
	require.NoError(t, err, "the dead letter holds the original job")
	assert.Equal(t, "BFUSE-4B", d.ID)
}

func TestRetriesExhausted(t *testing.T) {
	b := setup(t)
	cfg := testConfig("w1")
	cfg.MaxAttempts = 3
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorStockGet, Kind: sandbox.FailBeforeEffect, Count: 100})
	b.start(cfg, nil)
	id := b.publish(jobs.TypeBusifavorStockGet, stockGet("stock-exhaust")).MsgID
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusFailed, r.Status)
	assert.Equal(t, jobs.CodeRetriesExhausted, r.Error.Code)
	assert.True(t, r.Error.Retryable)
	assert.Contains(t, r.Error.Message, "SYSTEM_ERROR")
	assert.Equal(t, 3, r.Attempts)
	assert.Equal(t, 500, r.HTTPStatus)
	assert.Equal(t, int64(6), b.sb.Stats(marketing.OpBusifavorStockGet).Requests, "3 deliveries × (primary + backup)")
	assert.Equal(t, int64(1), dlqCount(b))
}

func TestUnverifiedResponsesAreRetriedThenReported(t *testing.T) {
	b := setup(t)
	cfg := testConfig("w1")
	cfg.MaxAttempts = 2
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorStockGet, Kind: sandbox.ProbeSignature, Count: 100})
	b.start(cfg, nil)
	id := b.publish(jobs.TypeBusifavorStockGet, stockGet("stock-probe")).MsgID
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusFailed, r.Status)
	assert.Equal(t, jobs.CodeResponseUnverified, r.Error.Code)
	assert.True(t, r.Error.Retryable)
	assert.Equal(t, 2, r.Attempts)
}

func dlqCount(b *bundle) int64 {
	s, err := b.nats.JS.Stream(b.ctx, jobs.DLQStream)
	require.NoError(b.t, err)
	info, err := s.Info(b.ctx)
	require.NoError(b.t, err)
	return int64(info.State.Msgs)
}
