package jobs_test

import (
	"testing"

	"github.com/couponq/couponq/jobs"
)

// benchBody is a busifavor.use job as a worker receives it: request with
// use_time (Prepare filled it), meta and a fairness key.
var benchBody = []byte(`{"id":"BF-USE-0001","mchid":"1900000001","request":` +
	`{"coupon_code":"CODE-0001","stock_id":"100088","appid":"wx233544546545989","use_request_no":"BF-USE-0001","openid":"oUser0001","use_time":"` + useTime + `"}` +
	`,"meta":{"order":"A-17","store":"s-3"},"priority":2,"fairness_key":"store-3"}`)

// BenchmarkDecode is one worker-side decode and validation of a
// busifavor.use job (jobs.Decode runs at intake and again before the call).
func BenchmarkDecode(b *testing.B) {
	if _, err := jobs.Decode(jobs.TypeBusifavorUse, benchBody); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jobs.Decode(jobs.TypeBusifavorUse, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}
