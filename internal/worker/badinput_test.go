package worker_test

import (
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
)

// Each class of bad input becomes a failed INVALID_JOB result and a dead
// letter with the original bytes; nothing reaches the API.
func TestBadInputBecomesInvalidJobAndDeadLetter(t *testing.T) {
	b := setup(t)
	cases := []struct {
		name, subject, msgID string
		data                 string
		wantID, wantInMsg    string
	}{
		{name: "malformed JSON", subject: "couponq.jobs.busifavor.use", msgID: "busifavor.use/BAD-1",
			data: `{"request": {`, wantID: "BAD-1", wantInMsg: "not a valid job object"},
		{name: "no msg id, malformed", subject: "couponq.jobs.busifavor.use",
			data: `not json`, wantID: "seq-", wantInMsg: "not a valid job object"},
		{name: "missing field", subject: "couponq.jobs.busifavor.use", msgID: "busifavor.use/BAD-3",
			data:   `{"request":{"coupon_code":"C","use_time":"2026-01-02T03:04:05+08:00","use_request_no":"BAD-3"}}`,
			wantID: "BAD-3", wantInMsg: "appid"},
		{name: "id disagrees with request number", subject: "couponq.jobs.product_coupon.update", msgID: "product_coupon.update/OTHER-ID",
			data:   `{"id":"OTHER-ID","request":{"product_coupon_id":"1000000013","out_request_no":"PCUPD-BAD4","brand_id":"120344","display_info":{"name":"好名字呀","image_url":"https://a/b","background_url":"https://a/c"}}}`,
			wantID: "OTHER-ID", wantInMsg: "disagrees with the request number"},
		{name: "unknown mchid", subject: "couponq.jobs.busifavor.stock.get", msgID: "busifavor.stock.get/BAD-5",
			data: `{"id":"BAD-5","mchid":"1234567","request":{"stock_id":"100088"}}`, wantID: "BAD-5", wantInMsg: "not a configured merchant"},
		{name: "unknown field", subject: "couponq.jobs.busifavor.stock.get", msgID: "busifavor.stock.get/BAD-6",
			data: `{"id":"BAD-6","request":{"stock_id":"100088","color":"red"}}`, wantID: "BAD-6", wantInMsg: "color"},
		{name: "unknown subject type", subject: "couponq.jobs.coupon.teleport", msgID: "coupon.teleport/BAD-7",
			data: `{"id":"BAD-7","request":{}}`, wantID: "BAD-7", wantInMsg: "unknown job type"},
	}
	if testing.Short() {
		cases = cases[:2]
	}
	for _, c := range cases {
		b.publishRaw(c.subject, c.msgID, []byte(c.data))
	}
	b.start(testConfig("w1"), nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			typ, _ := jobs.TypeFromSubject(c.subject)
			var r *jobs.Result
			if c.msgID != "" {
				r = b.await(c.msgID)[c.msgID]
			} else {
				r = findResult(t, b, typ, c.wantID)
			}
			require.NotNil(t, r)
			require.Equal(t, jobs.StatusFailed, r.Status)
			assert.Equal(t, jobs.CodeInvalidJob, r.Error.Code)
			assert.Contains(t, r.Error.Message, c.wantInMsg)
			assert.False(t, r.Error.Retryable)
			assert.Contains(t, r.ID, c.wantID)
			assert.Equal(t, 0, r.HTTPStatus, "nothing was sent")
			dl := b.streamMsgs(jobs.DLQStream, jobs.DLQSubjectPrefix+typ)
			require.NotEmpty(t, dl)
			found := false
			for _, m := range dl {
				if string(m.Data()) == c.data {
					found = true
					assert.Equal(t, jobs.CodeInvalidJob, m.Headers().Get(jobs.HeaderErrorCode))
					assert.Equal(t, c.subject, m.Headers().Get(jobs.HeaderJobSubject))
				}
			}
			assert.True(t, found, "dead letter keeps the original bytes")
		})
	}
	for _, op := range marketing.Operations() {
		assert.Zero(t, b.sb.Stats(op).Requests, "no bad job reached the API (%s)", op)
	}
	s, err := b.nats.JS.Stream(b.ctx, jobs.JobsStream)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := s.Info(b.ctx)
		return err == nil && info.State.Msgs == 0
	}, 10e9, 20e6, "nothing is left in the work queue")
}

// findResult scans the results of type typ for one whose id starts with prefix.
func findResult(t *testing.T, b *bundle, typ, prefix string) *jobs.Result {
	t.Helper()
	var found *jobs.Result
	require.Eventually(t, func() bool {
		for _, m := range b.streamMsgs(jobs.ResultsStream, jobs.ResultSubjectPrefix+typ+".>") {
			r, err := jobs.DecodeResult(m.Data())
			if err == nil && len(r.ID) >= len(prefix) && r.ID[:len(prefix)] == prefix {
				found = r
				return true
			}
		}
		return false
	}, 10e9, 50e6)
	return found
}
