package marketing

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walkDecode is DecodeRequest without the fast path: the token walker, then
// encoding/json. It is the reference decodeFast must agree with.
func walkDecode(op Operation, raw []byte) (Request, error) { return decodeSlow(NewRequest(op), raw) }

// checkFastAgrees fails when decodeFast accepts raw but the walker does
// not, or when they decode different values.
func checkFastAgrees(t *testing.T, op Operation, raw []byte) (fastAccepted bool) {
	t.Helper()
	fast := decodeFast(op, raw)
	if fast == nil {
		return false
	}
	slow, err := walkDecode(op, raw)
	if err != nil {
		t.Fatalf("%s: fast path accepted %q, the walker refuses it: %v", op, raw, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s: %q decodes differently:\nfast %#v\nslow %#v", op, raw, fast, slow)
	}
	return true
}

func TestFastDecodeCoversEveryRequestType(t *testing.T) {
	for _, op := range Operations() {
		assert.True(t, fastDecodable(reflect.TypeOf(NewRequest(op)).Elem()), "%s: the fast path would never be used", op)
	}
	type withMap struct {
		M map[string]string `json:"m"`
	}
	type untagged struct{ Name string }
	type withOption struct {
		N int64 `json:"n,string"`
	}
	type withInt struct {
		N int `json:"n"`
	}
	for _, v := range []any{withMap{}, untagged{}, withOption{}, withInt{}} {
		assert.False(t, fastDecodable(reflect.TypeOf(v)), "%T", v)
	}
}

// TestFastDecodeAgreesWithWalker: the documents' examples go the fast way
// and decode as before; every input the walker refuses or decodes with
// encoding/json's leniency (invalid UTF-8, lone surrogates, case-folded or
// repeated names, numbers in other notations, a top-level null) is declined
// by the fast path, so DecodeRequest's answer and message are unchanged.
func TestFastDecodeAgreesWithWalker(t *testing.T) {
	fixtures := map[Operation]string{
		OpBusifavorUse: jobBusifavorUse, OpBusifavorStockGet: jobStockGet,
		OpProductCouponUse: jobPCUse, OpProductCouponUpdate: jobPCUpdate,
	}
	for op, raw := range fixtures {
		require.True(t, checkFastAgrees(t, op, []byte(raw)), "%s fixture takes the fast path", op)
		req, err := DecodeRequest(op, []byte(raw))
		require.NoError(t, err)
		slow, err := walkDecode(op, []byte(raw))
		require.NoError(t, err)
		assert.Equal(t, slow, req)
	}
	upd := func(s string) string {
		return strings.Replace(jobPCUpdate, `"product_coupon_id": "1000000013",`, s, 1)
	}
	declined := map[Operation][]string{
		OpBusifavorStockGet: {
			`null`, ` null `, ``, `[]`, `"x"`, `{"stock_id":"1"} {}`, `{"stock_id":"1"}x`,
			`{"Stock_id":"1"}`, `{"STOCK_ID":"1"}`, `{"stock_id":"1","stock_id":"2"}`,
			`{"stock_id":1}`, `{"stock_id":"1","x":1}`, "{\"stock_id\":\"\xff\"}",
			`{"stock_id":"\ud800"}`, `{"stock_id":"\udc00x"}`, `{"stock_id":"a\ud800\u0041"}`,
		},
		OpProductCouponUse: {
			`{"sequential_coupon_index":1e2}`, `{"sequential_coupon_index":1.0}`,
			`{"sequential_coupon_index":9223372036854775808}`, `{"sequential_coupon_index":"1"}`,
			`{"associated_order_info":{"mchid":"1","MchID":"2"}}`, `{"associated_order_info":[]}`,
			`{"associated_order_info":{"mchid":"1","mchid":"1"}}`, `{"associated_order_info":{"x":1}}`,
		},
		OpProductCouponUpdate: {
			upd(`"display_info":{},`), upd(`"brand_id":"1",`),
			upd(`"product_coupon_id": "1000000013","product_coupon_id": "1000000013",`),
		},
	}
	for op, inputs := range declined {
		for _, raw := range inputs {
			assert.False(t, checkFastAgrees(t, op, []byte(raw)), "%s: %q should go to the walker", op, raw)
			_, fastErr := DecodeRequest(op, []byte(raw))
			_, slowErr := walkDecode(op, []byte(raw))
			assert.Equal(t, slowErr, fastErr, "%s: %q", op, raw)
		}
	}
	accepted := map[Operation][]string{
		OpBusifavorStockGet: {`{"stock_id":"1"}`, " \t\r\n{\"stock_id\" : \"1\" } \n", `{"stock_id":null}`, `{}`,
			`{"stock_id":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"}`, `{"stock_id":"全场8折"}`},
		OpProductCouponUse: {`{"sequential_coupon_index":-0}`, `{"sequential_coupon_index":null}`,
			`{"sequential_coupon_index":-9223372036854775808}`, `{"associated_order_info":null}`},
		OpProductCouponUpdate: {`{"display_info":{"combo_package_list":[null,{"name":"a","pick_count":1,"choice_list":[]}]}}`,
			`{"display_info":{"detail_image_url_list":["a",null]}}`},
	}
	for op, inputs := range accepted {
		for _, raw := range inputs {
			assert.True(t, checkFastAgrees(t, op, []byte(raw)), "%s: %q should take the fast path", op, raw)
		}
	}
}

// FuzzDecodeFastAgrees: whatever the fast path accepts, the walker accepts
// too, with the same value.
// go test -run='^$' -fuzz=FuzzDecodeFastAgrees -fuzztime=30s ./wechat/marketing/
func FuzzDecodeFastAgrees(f *testing.F) {
	for i, raw := range []string{jobBusifavorUse, jobStockGet, jobPCUse, jobPCUpdate} {
		f.Add(uint8(i), []byte(raw))
	}
	f.Add(uint8(1), []byte(`{"stock_id":"\ud800"}`))
	f.Add(uint8(2), []byte(`{"sequential_coupon_index":-0}`))
	f.Add(uint8(3), []byte(`{"display_info":{"combo_package_list":[null]}}`))
	f.Fuzz(func(t *testing.T, opIndex uint8, raw []byte) {
		checkFastAgrees(t, Operations()[int(opIndex)%4], raw)
	})
}
