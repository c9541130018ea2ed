package jobs_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
)

// Valid request objects for each job type (the sandbox fixtures' values).
// use_time is left out of the *.use requests: Prepare fills it.
const (
	busifavorUseRequest = `{"coupon_code":"CODE-0001","stock_id":"100088","appid":"wx233544546545989","use_request_no":"BF-USE-0001","openid":"oUser0001"}`
	stockGetRequest     = `{"stock_id":"100088"}`
	pcUseRequest        = `{"openid":"oUser0002","coupon_code":"PC-0001","product_coupon_id":"1000000013","stock_id":"1000000013001","appid":"wx233544546545989","associated_order_info":{"transaction_id":"4200000000123456789123456789"},"out_request_no":"PC-USE-0001","brand_id":"120344"}`
	pcUpdateRequest     = `{"product_coupon_id":"1000000013","out_request_no":"PC-UPD-0001","display_info":{"name":"全场满100立打8折","image_url":"https://wxpaylogo.qpic.cn/a","background_url":"https://wxpaylogo.qpic.cn/b"},"brand_id":"120344"}`
	useTime             = "2026-01-02T03:04:05+08:00"
)

// busifavorUseJob returns a valid busifavor.use job whose request number
// (and so id) is no. use_time is left for Prepare to fill.
func busifavorUseJob(no string) jobs.Job {
	return jobs.Job{Request: json.RawMessage(fmt.Sprintf(
		`{"coupon_code":"CODE-%s","stock_id":"100088","appid":"wx233544546545989","use_request_no":%q}`, no, no))}
}

// withField returns the JSON object obj with key set to the JSON value v.
func withField(t *testing.T, obj, key, v string) string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(obj), &m))
	m[key] = json.RawMessage(v)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return string(out)
}

// requestField returns request.<key> of a job body as a string.
func requestField(t *testing.T, body []byte, key string) (string, bool) {
	t.Helper()
	var job struct {
		Request map[string]json.RawMessage `json:"request"`
	}
	require.NoError(t, json.Unmarshal(body, &job))
	raw, ok := job.Request[key]
	if !ok {
		return "", false
	}
	var s string
	require.NoError(t, json.Unmarshal(raw, &s))
	return s, true
}
