package jobs

import (
	jsonv2 "github.com/go-json-experiment/json"

	"github.com/couponq/couponq/internal/strictjson"
)

// decodeStrictFast decodes the JSON object data into v (a *Job or a
// *TypedJob) in one pass and reports whether it did. It declines (false,
// v reset) whatever it cannot vouch for; the caller then runs
// encoding/json's strict decoder, which gives the same answer and names the
// problem. It may only accept what that decoder accepts, with the same
// result.
//
// go-json-experiment/json (the prototype of encoding/json/v2, by the Go
// team's JSON maintainers) is stricter than encoding/json by default, never
// more lenient: names match exactly (case included), repeated names, invalid
// UTF-8 and lone surrogates are errors, unknown names are errors with
// RejectUnknownMembers, integers must be written as integers, and trailing
// data is an error. json.RawMessage fields get the value's bytes as written,
// as with encoding/json. A top-level null is left to encoding/json.
func decodeStrictFast[T Job | TypedJob](data []byte, v *T) bool {
	if !strictjson.StartsObject(data) {
		return false
	}
	if err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		var zero T
		*v = zero
		return false
	}
	return true
}
