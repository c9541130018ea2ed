package jobs

import (
	"bytes"
	"encoding/json"

	"github.com/go-json-experiment/json/jsontext"

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
	// jsontext (go-json-experiment, the encoding/json/v2 prototype) reads
	// the top-level names without building values or errors for the rest:
	// about a third of encoding/json.Decoder's cost here. Repeated names
	// and invalid UTF-8 are allowed to it, so it stops only at malformed
	// JSON (left to the decoder, as before) and never before a later
	// top-level name that must be refused.
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil // not a JSON object: the decoder says why
	}
	var seen [6]string // at most one of each envelope field
	n := 0
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		key := tok.String()
		if !envelopeFields[key] {
			return &InvalidJobError{Reason: "body is not a valid job object: unknown field " + quote(key)}
		}
		for _, k := range seen[:n] {
			if k == key {
				return &InvalidJobError{Field: key, Reason: "repeated field"}
			}
		}
		seen[n] = key
		n++
		if err := dec.SkipValue(); err != nil {
			return nil
		}
	}
	return nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
