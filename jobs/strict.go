package jobs

import (
	"bytes"
	"encoding/json"

	"github.com/couponq/couponq/internal/strictjson"
)

// envelopeFields are the job object's field names, exactly as spelled in
// the contract. encoding/json alone would match "ID" or "Request" to them
// case-insensitively and keep the last of repeated keys: both silently
// decide between two values the producer wrote.
var envelopeFields = map[string]bool{
	"id": true, "mchid": true, "request": true, "meta": true, "priority": true, "fairness_key": true,
}

// checkFaithful refuses, before decoding, a job body that encoding/json
// would change silently: invalid UTF-8 or lone surrogates anywhere (meta
// included: it is echoed into the result), and top-level keys that are
// repeated or spelled in another case. Numbers need no check here: the
// decoder already refuses 1e2, 1.0 and out-of-range values for integer
// fields, and non-string ids. Malformed JSON is left to the decoder.
func checkFaithful(data []byte) error {
	if err := strictjson.CheckText(data); err != nil {
		return &InvalidJobError{Reason: "body cannot be represented faithfully: " + err.Error(), Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil // not JSON: the decoder says why
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

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
