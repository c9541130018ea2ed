package jobs

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/couponq/couponq/internal/strictjson"
)

// checkFaithfulEncodingJSON is checkFaithful as it was written with
// encoding/json's Decoder.Token, kept as the reference the jsontext
// version must agree with (FuzzCheckFaithfulAgrees).
func checkFaithfulEncodingJSON(data []byte) error {
	if err := strictjson.CheckText(data); err != nil {
		return &InvalidJobError{Reason: "body cannot be represented faithfully: " + err.Error(), Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if !envelopeFields[key] {
			return &InvalidJobError{Reason: "body is not a valid job object: unknown field " + quote(key)}
		}
		if seen[key] {
			return &InvalidJobError{Field: key, Reason: "repeated field"}
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// FuzzCheckFaithfulAgrees: checkFaithful refuses exactly what the
// encoding/json version refused, with the same message, for every body
// that a strict decoder would accept as JSON (for malformed JSON both may
// stop at different points; the decoder refuses it anyway).
func FuzzCheckFaithfulAgrees(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","request":{"x":1},"meta":{"a":1,"a":2}}`,
		`{"id":"a","id":"b"}`,
		`{"ID":"a"}`,
		`{"meta":{"a":1,"a":2},"Request":{}}`,
		`{"meta":[1,{"x":"\ud83d\ude00"}],"priority":3,"fairness_key":"k","mchid":"1"}`,
		`{"request":{}, "extra":1}`,
		`{"id":"a"`, `[]`, `"x"`, `{}`, ` { "id" : "a" } `, `{"id":"a"}{"id":"b"}`,
		"{\"request\":{\"coupon_code\":\"\xff\"}}", `{"id":"\u0069d"}`, `{"i\u0064":1,"id":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, want := checkFaithful(data), checkFaithfulEncodingJSON(data)
		if !json.Valid(data) && (got == nil || want == nil) {
			return
		}
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Fatalf("checkFaithful(%q) = %v, encoding/json version %v", data, got, want)
		}
	})
}
