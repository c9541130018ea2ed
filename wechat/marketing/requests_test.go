package marketing

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func int64p(v int64) *int64 { return &v }

// violations unpacks Validate's error into its *ValidationError parts.
func violations(t *testing.T, err error) []*ValidationError {
	t.Helper()
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]*ValidationError, 0, len(errs))
	for _, e := range errs {
		var ve *ValidationError
		require.True(t, errors.As(e, &ve), "not a *ValidationError: %v", e)
		out = append(out, ve)
	}
	return out
}

func TestBodiesLeavePathParametersOut(t *testing.T) {
	for _, tc := range []struct {
		req  Request
		path string
		body string
	}{
		{docBusifavorUse(), "/v3/marketing/busifavor/coupons/use",
			`{"coupon_code":"sxxe34343434","stock_id":"100088","appid":"wx1234567889999","use_time":"2015-05-20T13:29:35+08:00","use_request_no":"1002600620019090123143254435","openid":"xsd3434454567676"}`},
		{docStockGet(), "/v3/marketing/busifavor/stocks/100088", ""},
		{docPCUse(), "/v3/marketing/partner/product-coupon/users/oh-394z-6CGkNoJrsDLTTUKiAnp4/coupons/123446565767/use",
			`{"product_coupon_id":"1002323","stock_id":"100232301","appid":"wx233544546545989","use_time":"2025-07-24T00:00:00+08:00","associated_order_info":{"transaction_id":"4200000000123456789123456789","out_trade_no":"trade_no_20250724123456","mchid":"1234567890","sub_mchid":"1234567890"},"out_request_no":"MCHUSE202003101234","sequential_coupon_index":0,"brand_id":"120344"}`},
		{docPCUpdate(), "/v3/marketing/partner/product-coupon/product-coupons/1000000013",
			`{"out_request_no":"12345_20250101_A3489","display_info":{"name":"全场满100立打8折-新名字","image_url":"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx","background_url":"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx","detail_image_url_list":["https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"]},"brand_id":"120344"}`},
	} {
		t.Run(string(tc.req.Operation()), func(t *testing.T) {
			require.NoError(t, tc.req.Validate())
			assert.Equal(t, tc.path, tc.req.Path())
			body, err := tc.req.Body()
			require.NoError(t, err)
			assert.Equal(t, tc.body, string(body))
			again, err := tc.req.Body()
			require.NoError(t, err)
			assert.Equal(t, body, again, "Body must be deterministic")
		})
	}
}

func TestBodyOptionalFields(t *testing.T) {
	r := docBusifavorUse()
	r.StockID, r.OpenID = "", ""
	body, err := r.Body()
	require.NoError(t, err)
	assert.Equal(t, `{"coupon_code":"sxxe34343434","appid":"wx1234567889999","use_time":"2015-05-20T13:29:35+08:00","use_request_no":"1002600620019090123143254435"}`, string(body))

	p := docPCUse()
	p.SequentialCouponIndex = nil
	p.AssociatedOrderInfo = &AssociatedOrderInfo{TransactionID: "42"}
	body, err = p.Body()
	require.NoError(t, err)
	assert.NotContains(t, string(body), "sequential_coupon_index", "nil index is omitted")
	assert.Contains(t, string(body), `"associated_order_info":{"transaction_id":"42"}`)

	u := docPCUpdate()
	u.DisplayInfo.DetailImageURLList = []string{"https://x/a?b=1&c=<2>"}
	u.DisplayInfo.OriginalPrice = int64p(0)
	body, err = u.Body()
	require.NoError(t, err)
	assert.Contains(t, string(body), `"https://x/a?b=1&c=<2>"`, "no HTML escaping")
	assert.Contains(t, string(body), `"original_price":0`, "0 is a price")
}

func TestPathEscapesParameters(t *testing.T) {
	p := docPCUse()
	p.OpenID, p.CouponCode = "o/h?x#y", "c%d é"
	assert.Equal(t, "/v3/marketing/partner/product-coupon/users/o%2Fh%3Fx%23y/coupons/c%25d%20%C3%A9/use", p.Path())
	assert.Equal(t, "/v3/marketing/busifavor/stocks/a%2Fb", (&BusifavorStockGetRequest{StockID: "a/b"}).Path())
	assert.Equal(t, "/v3/marketing/partner/product-coupon/product-coupons/1%3F2", (&ProductCouponUpdateRequest{ProductCouponID: "1?2"}).Path())
}

func TestRequestNo(t *testing.T) {
	assert.Equal(t, "1002600620019090123143254435", docBusifavorUse().RequestNo())
	assert.Equal(t, "", docStockGet().RequestNo())
	assert.Equal(t, "MCHUSE202003101234", docPCUse().RequestNo())
	assert.Equal(t, "12345_20250101_A3489", docPCUpdate().RequestNo())
	for _, op := range Operations() {
		assert.Equal(t, op, NewRequest(op).Operation())
	}
	assert.Nil(t, NewRequest("nope"))
}

func TestOperations(t *testing.T) {
	ops := Operations()
	require.Equal(t, []Operation{OpBusifavorUse, OpBusifavorStockGet, OpProductCouponUse, OpProductCouponUpdate}, ops)
	want := map[Operation][4]string{
		OpBusifavorUse:        {"POST", "/v3/marketing/busifavor/coupons/use", "500", "FREQUENCY_LIMITED"},
		OpBusifavorStockGet:   {"GET", "/v3/marketing/busifavor/stocks/{stock_id}", "0", "FREQUENCY_LIMITED"},
		OpProductCouponUse:    {"POST", "/v3/marketing/partner/product-coupon/users/{openid}/coupons/{coupon_code}/use", "0", "RATELIMIT_EXCEEDED"},
		OpProductCouponUpdate: {"PATCH", "/v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}", "20", "RATELIMIT_EXCEEDED"},
	}
	for _, op := range ops {
		got, err := ParseOperation(string(op))
		require.NoError(t, err)
		assert.Equal(t, op, got)
		w := want[op]
		assert.Equal(t, w[0], op.Method())
		assert.Equal(t, w[1], op.PathTemplate())
		assert.Equal(t, w[2], strconv.Itoa(op.DocumentedLimit()))
		assert.Equal(t, w[3], op.RateLimitCode())
	}
	_, err := ParseOperation("busifavor.USE")
	require.ErrorContains(t, err, `unknown operation "busifavor.USE"`)
	var bad Operation = "x"
	assert.Empty(t, bad.Method())
	assert.Empty(t, bad.PathTemplate())
	assert.Zero(t, bad.DocumentedLimit())
	assert.Empty(t, bad.RateLimitCode())
}
