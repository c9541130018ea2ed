package marketing

import (
	"errors"
	"strings"
	"testing"
)

// DecodeRequest refuses what encoding/json would replace with U+FFFD and
// numbers that are not integers for integer fields.
func TestDecodeRequestRefusesSilentCoercions(t *testing.T) {
	cases := []struct {
		op   Operation
		raw  string
		want string
	}{
		{OpBusifavorStockGet, "{\"stock_id\":\"1000\xff88\"}", "invalid UTF-8"},
		{OpBusifavorStockGet, `{"stock_id":"1000\udc0088"}`, "surrogate"},
		{OpProductCouponUpdate, `{"product_coupon_id":"1","out_request_no":"PCUPD-1","brand_id":"1","display_info":{"combo_package_list":[{"name":"a","pick_count":1e0}]}}`, "integer"},
		{OpProductCouponUpdate, `{"product_coupon_id":"1","out_request_no":"PCUPD-1","brand_id":"1","display_info":{"combo_package_list":[{"name":"a","pick_count":1.0}]}}`, "integer"},
	}
	for _, c := range cases {
		_, err := DecodeRequest(c.op, []byte(c.raw))
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: got %v, want a DecodeError about %q", c.op, c.raw, err, c.want)
		}
	}
}
