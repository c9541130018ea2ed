package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// strictSlow is encoding/json's strict decoding as Decode and ParseTypedJob
// do it without the fast path: the reference decodeStrictFast must agree
// with.
func strictSlow[T Job | TypedJob](data []byte) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return v, errors.New("trailing data")
	}
	return v, nil
}

// checkStrictFastAgrees fails when the fast path accepts what encoding/json
// refuses or decodes it differently, and reports whether it accepted.
func checkStrictFastAgrees[T Job | TypedJob](t *testing.T, data []byte) bool {
	t.Helper()
	var fast T
	if !decodeStrictFast(data, &fast) {
		var zero T
		require.True(t, reflect.DeepEqual(zero, fast), "a declined decode leaves the zero value")
		return false
	}
	slow, err := strictSlow[T](data)
	if err != nil {
		t.Fatalf("fast path accepted %q, encoding/json refuses it: %v", data, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q decodes differently:\nfast %#v\nslow %#v", data, fast, slow)
	}
	return true
}

func TestDecodeStrictFastAgrees(t *testing.T) {
	accepted := []string{
		`{"request":{"stock_id":"1"}}`,
		`{"id":"a","mchid":"m","request":{"stock_id":"1"},"meta":{"k":[1, 2.5e3, "x"]},"priority":-0,"fairness_key":"f"}`,
		" {\"request\" :\n {\"stock_id\" : \"1\" } , \"meta\": \"\\u00e9 <&>\" }\n",
		`{"request":null,"meta":null}`,
		`{"request":[],"meta":3}`,
		`{"id":"全场8折","request":{}}`,
		`{"id":"\ud83d\ude00","request":{"a":"\"\\"}}`,
	}
	for _, in := range accepted {
		assert.True(t, checkStrictFastAgrees[Job](t, []byte(in)), "%q should take the fast path", in)
		typed := `{"type":"busifavor.stock.get",` + in[bytes.IndexByte([]byte(in), '{')+1:]
		assert.True(t, checkStrictFastAgrees[TypedJob](t, []byte(typed)), "%q should take the fast path", typed)
	}
	declined := []string{
		`null`, ``, `[]`, `{"request":{}}{}`, `{"request":{}} x`,
		`{"ID":"a","request":{}}`, `{"Request":{}}`, `{"id":"a","id":"a","request":{}}`,
		`{"request":{},"extra":1}`, `{"request":{},"priority":1.0}`, `{"request":{},"priority":1e0}`,
		`{"request":{},"priority":"1"}`, `{"request":{},"priority":99999999999999999999}`,
		"{\"id\":\"\xff\",\"request\":{}}", "{\"request\":{},\"meta\":{\"k\":\"\xff\"}}",
		`{"request":{},"meta":{"k":"\ud800"}}`, `{"request":{"a":"\udc00"}}`, `{"request":{"a":1,"a":2}}`,
		`{"request":{},"meta":{"k":1,"k":2}}`, `{"request":{}`, `{"request":{},}`,
	}
	for _, in := range declined {
		assert.False(t, checkStrictFastAgrees[Job](t, []byte(in)), "%q should go to encoding/json", in)
	}
	assert.False(t, checkStrictFastAgrees[TypedJob](t, []byte(`{"Type":"x","request":{}}`)))
	assert.False(t, checkStrictFastAgrees[TypedJob](t, []byte(`{"type":"x","type":"x","request":{}}`)))
}

// FuzzDecodeStrictFastAgrees: whatever the fast path accepts, encoding/json's
// strict decoder accepts too, with the same value.
// go test -run='^$' -fuzz=FuzzDecodeStrictFastAgrees -fuzztime=30s ./jobs/
func FuzzDecodeStrictFastAgrees(f *testing.F) {
	f.Add([]byte(`{"id":"a","mchid":"m","request":{"stock_id":"1"},"meta":{"k":[1]},"priority":2,"fairness_key":"f"}`))
	f.Add([]byte(`{"type":"busifavor.use","request":{"x":"\u00e9"},"meta":null}`))
	f.Add([]byte(`{"request":{},"priority":-0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStrictFastAgrees[Job](t, data)
		checkStrictFastAgrees[TypedJob](t, data)
	})
}

// TestWithIDIsMarshalWithID: adding the id to an encoded job gives the
// bytes json.Marshal gives for the job with that id.
func TestWithIDIsMarshalWithID(t *testing.T) {
	for _, job := range []Job{
		{Request: json.RawMessage(`{"a":1}`)},
		{MchID: "m<&>", Request: json.RawMessage(` { "a" : "<b>" } `), Meta: json.RawMessage(`{"campaign":"c"}`), Priority: 5, FairnessKey: "c"},
		{Request: nil},
	} {
		for _, id := range []string{"PC-1", "a<b>&c", "全场\u2028\"\\", ""} {
			data, err := json.Marshal(job)
			require.NoError(t, err)
			got, err := withID(data, id)
			require.NoError(t, err)
			job.ID = id
			want, err := json.Marshal(job)
			require.NoError(t, err)
			job.ID = ""
			if id != "" { // Prepare only adds a derived, non-empty id
				assert.Equal(t, string(want), string(got))
			}
		}
	}
	_, err := withID([]byte(`{}`), "x")
	assert.Error(t, err)
}
