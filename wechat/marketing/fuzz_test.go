package marketing

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzDecodeRequest: DecodeRequest never panics, fails only with
// *DecodeError, and whatever it accepts can be validated, has a body that is
// valid, deterministic JSON without the path parameters, a path that
// survives URL parsing, and survives a marshal/decode round trip.
// CI runs it briefly: go test -run='^$' -fuzz=FuzzDecodeRequest -fuzztime=10s ./wechat/
func FuzzDecodeRequest(f *testing.F) {
	for i, raw := range []string{jobBusifavorUse, jobStockGet, jobPCUse, jobPCUpdate} {
		f.Add(uint8(i), []byte(raw))
	}
	f.Add(uint8(2), []byte(jobPCUseSummary))
	f.Add(uint8(3), []byte(`{"display_info":{"combo_package_list":[{"name":"a","pick_count":1,"choice_list":[{"name":"b","price":0}]}]}}`))
	f.Add(uint8(0), []byte(`{"coupon_code":"a","coupon_code":"b"}`))
	f.Add(uint8(1), []byte(`{"stock_id":"../x"} `))
	f.Fuzz(func(t *testing.T, opIndex uint8, raw []byte) {
		op := Operations()[int(opIndex)%4]
		req, err := DecodeRequest(op, raw)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("decode error is %T: %v", err, err)
			}
			return
		}
		if verr := req.Validate(); verr != nil {
			for _, e := range unjoin(verr) {
				var ve *ValidationError
				if !errors.As(e, &ve) || ve.Field == "" || ve.Rule == "" {
					t.Fatalf("validation error %T %v", e, e)
				}
			}
		}
		body, err := req.Body()
		if err != nil {
			t.Fatalf("Body: %v", err)
		}
		again, _ := req.Body()
		if string(body) != string(again) {
			t.Fatal("Body is not deterministic")
		}
		if op == OpBusifavorStockGet {
			if body != nil {
				t.Fatal("GET has a body")
			}
		} else {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("body is not a JSON object: %v", err)
			}
			for _, k := range pathParams(op) {
				if _, ok := m[k]; ok {
					t.Fatalf("path parameter %s in body %s", k, body)
				}
			}
		}
		u, err := url.Parse("https://api.mch.weixin.qq.com" + req.Path())
		if err != nil || u.RequestURI() != req.Path() {
			t.Fatalf("path %q does not survive URL parsing: %v", req.Path(), err)
		}
		first, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, err := DecodeRequest(op, first)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", first, err)
		}
		second, _ := json.Marshal(req2)
		if string(first) != string(second) {
			t.Fatalf("round trip changed the request:\n%s\n%s", first, second)
		}
	})
}

func pathParams(op Operation) []string {
	switch op {
	case OpProductCouponUse:
		return []string{"openid", "coupon_code"}
	case OpProductCouponUpdate:
		return []string{"product_coupon_id"}
	}
	return nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

var (
	useRequestNoRE = regexp.MustCompile(`^[!-~]{1,32}$`)
	outRequestNoRE = regexp.MustCompile(`^[0-9A-Za-z_-]{6,40}$`)
)

// FuzzValidateFields checks the validators against independent reference
// definitions of the documents' rules.
func FuzzValidateFields(f *testing.F) {
	f.Add("1002600620019090123143254435", "MCHUSE202003101234", "2015-05-20T13:29:35+08:00", "全场满100立打8折-新名字", uint8(1))
	f.Add("34657_20250101_123456", "12345_20250101_A3489", "2025-07-24T00:00+08:00", "ab", uint8(9))
	f.Add("a b", "abc.def", "2015-05-20T13:29:35.+08:00", "abc\n", uint8(8))
	f.Fuzz(func(t *testing.T, useRequestNo, outRequestNo, useTime, name string, nImages uint8) {
		bu := docBusifavorUse()
		bu.UseRequestNo, bu.UseTime = useRequestNo, useTime
		_, timeErr := time.Parse(time.RFC3339, useTime)
		expect(t, bu.Validate(), "use_request_no", useRequestNoRE.MatchString(useRequestNo))
		expect(t, bu.Validate(), "use_time", timeErr == nil && len(useTime) <= 32)

		pc := docPCUse()
		pc.OutRequestNo = outRequestNo
		expect(t, pc.Validate(), "out_request_no", outRequestNoRE.MatchString(outRequestNo))

		up := docPCUpdate()
		up.DisplayInfo.Name = name
		up.DisplayInfo.DetailImageURLList = images(int(nImages % 16))
		n := utf8.RuneCountInString(name)
		nameOK := utf8.ValidString(name) && n >= 3 && n <= 15 && !strings.ContainsFunc(name, unicode.IsControl)
		expect(t, up.Validate(), "display_info.name", nameOK)
		expect(t, up.Validate(), "display_info.detail_image_url_list", nImages%16 <= 8)
	})
}

// expect fails unless err has a violation of field exactly when !valid.
func expect(t *testing.T, err error, field string, valid bool) {
	t.Helper()
	found := false
	if err != nil {
		for _, e := range unjoin(err) {
			var ve *ValidationError
			if errors.As(e, &ve) && ve.Field == field {
				found = true
			}
		}
	}
	if found == valid {
		t.Fatalf("%s: valid=%v but violations: %v", field, valid, err)
	}
}
