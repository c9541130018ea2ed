package jobs_test

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/couponq/couponq/jobs"
)

// FuzzDecode: Decode never panics, fails only with *InvalidJobError values,
// and what it accepts is faithful and stable: every string valid UTF-8,
// the id set, meta valid JSON, and the job re-encoded decodes to the same
// id, merchant, scheduling fields and request body.
// CI runs it briefly: see .ci/fuzz.
func FuzzDecode(f *testing.F) {
	req := `{"coupon_code":"CODE-0001","stock_id":"100088","appid":"wx233544546545989","use_request_no":"BF-USE-0001","use_time":"2026-01-02T03:04:05+08:00"}`
	f.Add(uint8(0), []byte(`{"request":`+req+`,"meta":{"o":"A-1"},"priority":1,"fairness_key":"c1"}`))
	f.Add(uint8(1), []byte(`{"id":"stock:1","request":{"stock_id":"100088"}}`))
	f.Add(uint8(0), []byte(`{"id":"a","id":"b","request":`+req+`}`))
	f.Add(uint8(0), []byte("{\"request\":{\"coupon_code\":\"\xff\"}}"))
	f.Add(uint8(1), []byte(`{"id":"x","request":{"stock_id":"\ud800"}}`))
	f.Add(uint8(0), []byte(`{"priority":1e0,"request":`+req+`}`))
	f.Fuzz(func(t *testing.T, typIndex uint8, data []byte) {
		types := jobs.Types()
		typ := types[int(typIndex)%len(types)]
		d, err := jobs.Decode(typ, data)
		if err != nil {
			for _, leaf := range leaves(err) {
				var ie *jobs.InvalidJobError
				if !errors.As(leaf, &ie) {
					t.Fatalf("error %T is not an *InvalidJobError: %v", leaf, leaf)
				}
			}
			return
		}
		for _, s := range []string{d.ID, d.MchID, d.FairnessKey} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted invalid UTF-8 %q", s)
			}
		}
		if d.ID == "" {
			t.Fatal("accepted a job without an id")
		}
		if len(d.Meta) > 0 && (!json.Valid(d.Meta) || !utf8.Valid(d.Meta)) {
			t.Fatalf("meta %q is not valid JSON", d.Meta)
		}
		body, err := d.Req.Body()
		if err != nil {
			t.Fatalf("Body: %v", err)
		}
		again, err := json.Marshal(d.Job)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := jobs.Decode(typ, again)
		if err != nil {
			t.Fatalf("re-encoded job %s does not decode: %v", again, err)
		}
		body2, _ := d2.Req.Body()
		if d2.ID != d.ID || d2.MchID != d.MchID || d2.Priority != d.Priority || d2.FairnessKey != d.FairnessKey ||
			string(body2) != string(body) || d2.Req.Path() != d.Req.Path() {
			t.Fatalf("round trip changed the job:\n%s\n%s", data, again)
		}
	})
}

func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
