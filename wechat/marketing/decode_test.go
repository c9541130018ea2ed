package marketing

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Job request objects built from the documents' request examples, path
// parameters included as ordinary fields (CONTRACT.md).
const (
	jobBusifavorUse = `{
  "coupon_code": "sxxe34343434",
  "stock_id": "100088",
  "appid": "wx1234567889999",
  "use_time": "2015-05-20T13:29:35+08:00",
  "use_request_no": "1002600620019090123143254435",
  "openid": "xsd3434454567676"
}`
	jobStockGet = `{"stock_id": "100088"}`
	jobPCUse    = `{
  "openid": "oh-394z-6CGkNoJrsDLTTUKiAnp4",
  "coupon_code": "123446565767",
  "product_coupon_id" : "1002323",
  "stock_id" : "100232301",
  "appid" : "wx233544546545989",
  "use_time" : "2025-07-24T00:00+08:00",
  "associated_order_info" : {
    "transaction_id" : "4200000000123456789123456789",
    "out_trade_no" : "trade_no_20250724123456",
    "mchid" : "1234567890",
    "sub_mchid" : "1234567890"
  },
  "out_request_no" : "MCHUSE202003101234",
  "sequential_coupon_index" : 0,
  "brand_id" : "120344"
}`
	jobPCUseSummary = `{
  "openid": "oh-394z-6CGkNoJrsDLTTUKiAnp4",
  "coupon_code": "123446565767",
  "brand_id": "120344",
  "product_coupon_id": "1000000013",
  "stock_id": "1000000013001",
  "appid": "wx233544546545989",
  "use_time": "2025-07-24T00:00+08:00",
  "associated_order_info": {
    "transaction_id": "4200000000123456789123456789",
    "out_trade_no": "trade_no_20250724123456",
    "mchid": "1234567890",
    "sub_mchid": "1234567890"
  },
  "out_request_no": "34657_20250101_123456",
  "sequential_coupon_index": 0
}`
	jobPCUpdate = `{
  "product_coupon_id": "1000000013",
  "display_info" : {
    "name" : "全场满100立打8折-新名字",
    "image_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
    "background_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
    "detail_image_url_list" : [
      "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"
    ]
  },
  "out_request_no" : "12345_20250101_A3489",
  "brand_id" : "120344"
}`
)

func TestDecodeDocExamples(t *testing.T) {
	docUse := docPCUse()
	docUse.UseTime = "2025-07-24T00:00+08:00"
	for _, tc := range []struct {
		op   Operation
		raw  string
		want Request
	}{
		{OpBusifavorUse, jobBusifavorUse, docBusifavorUse()},
		{OpBusifavorStockGet, jobStockGet, docStockGet()},
		{OpProductCouponUse, jobPCUse, docUse},
		{OpProductCouponUpdate, jobPCUpdate, docPCUpdate()},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			got, err := DecodeRequest(tc.op, []byte(tc.raw))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	got, err := DecodeRequest(OpProductCouponUse, []byte(jobPCUseSummary))
	require.NoError(t, err)
	r := got.(*ProductCouponUseRequest)
	assert.Equal(t, "34657_20250101_123456", r.OutRequestNo)
	require.NotNil(t, r.SequentialCouponIndex)
	assert.Zero(t, *r.SequentialCouponIndex, "0 survives decoding")
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   Operation
		raw  string
		want string
	}{
		{"unknown field", OpBusifavorUse, `{"coupon_code":"a","colour":"red"}`, "request.colour: unknown field"},
		{"case differs", OpBusifavorUse, `{"Coupon_Code":"a"}`, "request.Coupon_Code: unknown field"},
		{"nested unknown", OpProductCouponUpdate, `{"display_info":{"name":"abc","colour":1}}`, "request.display_info.colour: unknown field"},
		{"repeated", OpBusifavorUse, `{"use_request_no":"a","use_request_no":"b"}`, "request.use_request_no: repeated field"},
		{"string expected", OpProductCouponUpdate, `{"display_info":{"name":12}}`, "request.display_info.name: expected string, got number"},
		{"object expected", OpProductCouponUpdate, `{"display_info":"x"}`, "request.display_info: expected object, got string"},
		{"array expected", OpProductCouponUpdate, `{"display_info":{"detail_image_url_list":"x"}}`, "request.display_info.detail_image_url_list: expected array, got string"},
		{"array element", OpProductCouponUpdate, `{"display_info":{"detail_image_url_list":["a",true]}}`, "request.display_info.detail_image_url_list[1]: expected string, got boolean"},
		{"deep path", OpProductCouponUpdate, `{"display_info":{"combo_package_list":[{"name":"a","pick_count":1,"choice_list":[]},{"pick_count":"2"}]}}`,
			"request.display_info.combo_package_list[1].pick_count: expected integer, got string"},
		{"fraction", OpProductCouponUse, `{"sequential_coupon_index":1.5}`, "request.sequential_coupon_index: expected integer, got number 1.5"},
		{"exponent", OpProductCouponUse, `{"sequential_coupon_index":1e2}`, "request.sequential_coupon_index: expected integer, got number 1e2"},
		{"overflow", OpProductCouponUse, `{"sequential_coupon_index":9223372036854775808}`, "request.sequential_coupon_index: expected integer, got number 9223372036854775808"},
		{"integer as string", OpProductCouponUse, `{"sequential_coupon_index":"0"}`, "request.sequential_coupon_index: expected integer, got string"},
		{"array top level", OpBusifavorUse, `[]`, "request: expected object, got array"},
		{"null top level", OpBusifavorUse, `null`, "request: expected object, got null"},
		{"empty", OpBusifavorUse, ``, "request: unexpected end of JSON"},
		{"truncated", OpBusifavorUse, `{"coupon_code":"a"`, "request: unexpected end of JSON"},
		{"malformed", OpBusifavorUse, `{"coupon_code" "a"}`, "request.coupon_code: malformed JSON: invalid character"},
		{"trailing object", OpBusifavorStockGet, `{"stock_id":"1"} {}`, "request: unexpected data after the request object"},
		{"trailing garbage", OpBusifavorStockGet, `{"stock_id":"1"}x`, "request: unexpected data after the request object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeRequest(tc.op, []byte(tc.raw))
			require.Error(t, err)
			assert.Nil(t, req)
			var de *DecodeError
			require.True(t, errors.As(err, &de), "%T", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := DecodeRequest("nope", []byte(`{}`))
	require.ErrorContains(t, err, `unknown operation "nope"`)
}

func TestDecodeNullIsAbsent(t *testing.T) {
	req, err := DecodeRequest(OpProductCouponUpdate, []byte(`{"product_coupon_id":null,"display_info":null,"out_request_no":"abcdef","brand_id":"1"}`))
	require.NoError(t, err)
	vs := violations(t, req.Validate())
	require.Len(t, vs, 2)
	assert.Equal(t, "product_coupon_id", vs[0].Field)
	assert.Equal(t, "display_info", vs[1].Field)
	req, err = DecodeRequest(OpProductCouponUse, []byte(`{"sequential_coupon_index":null}`))
	require.NoError(t, err)
	assert.Nil(t, req.(*ProductCouponUseRequest).SequentialCouponIndex)
}

// TestDecodeRoundTrip: marshalling a decoded request (path parameters
// included) and decoding it again gives the same request.
func TestDecodeRoundTrip(t *testing.T) {
	for op, raw := range map[Operation]string{
		OpBusifavorUse: jobBusifavorUse, OpBusifavorStockGet: jobStockGet,
		OpProductCouponUse: jobPCUse, OpProductCouponUpdate: jobPCUpdate,
	} {
		req, err := DecodeRequest(op, []byte(raw))
		require.NoError(t, err)
		again, err := json.Marshal(req)
		require.NoError(t, err)
		req2, err := DecodeRequest(op, again)
		require.NoError(t, err, "%s", again)
		assert.Equal(t, req, req2)
	}
}

// TestDocAnswersDecode proves the response types hold every field of the
// documents' answer examples: strict decoding rejects any field they lack,
// and times are kept as sent even when they are not RFC 3339.
func TestDocAnswersDecode(t *testing.T) {
	strict := func(raw string, v any) {
		t.Helper()
		dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(v))
	}
	var upc UserProductCoupon
	strict(DocExample(OpProductCouponUse).Answer, &upc)
	assert.Equal(t, "USED", upc.CouponState)
	assert.Equal(t, "2025-01-01T00:00+08:00", upc.ValidBeginTime, "non-RFC 3339 time kept as sent")
	assert.Equal(t, "trade_no_20250724123456", upc.SingleUsageDetail.AssociatedOrderInfo.OutTradeNo)
	assert.Equal(t, int64(3), upc.SequentialUsageDetail.UsedCount)
	assert.Equal(t, "EQUAL", upc.ProductCoupon.SequentialUsageInfo.Type)
	assert.Equal(t, int64(2), *upc.ProductCoupon.DisplayInfo.ComboPackageList[0].ChoiceList[0].Count)
	assert.Equal(t, int64(30), upc.Stock.SingleUsageRule.DiscountCouponList.PercentOff)
	assert.Equal(t, int64(86399), upc.Stock.SequentialUsageRule.CouponAvailablePeriod.WeeklyAvailablePeriod.DayPeriodList[0].EndTime)
	assert.Equal(t, "UDFsdf24df34dD456Hdf34", upc.Stock.CouponDisplayInfo.EntranceFinder.FinderVideoID)
	assert.Equal(t, "2025-01-01T00:00+08:00", upc.Stock.DeactivateTime)

	var stock BusifavorStock
	strict(DocExample(OpBusifavorStockGet).Answer, &stock)
	assert.Equal(t, "8月1日活动券", stock.StockName)
	assert.Equal(t, []int64{1}, stock.CouponUseRule.CouponAvailableTime.AvailableWeek.WeekDay)
	assert.Equal(t, "2015-05-20T13:29:35+08:00", stock.CouponUseRule.CouponAvailableTime.IrregularyAvaliableTime[0].BeginTime)
	assert.Equal(t, "获取更多优惠", stock.CustomEntrance.MiniProgramsInfo.GuidingWords)
	assert.Equal(t, int64(50), stock.CouponCodeCount.AvailableCount)
	assert.Equal(t, int64(34), stock.SendCountInformation.TodaySendAmount)

	var pc ProductCoupon
	strict(DocExample(OpProductCouponUpdate).Answer, &pc)
	assert.Equal(t, "全场满100立打8折-新名字", pc.DisplayInfo.Name)
	assert.Equal(t, int64(20), pc.SingleUsageInfo.DiscountCoupon.PercentOff)

	var bu BusifavorUseResponse
	strict(DocExample(OpBusifavorUse).Answer, &bu)
	assert.Equal(t, BusifavorUseResponse{StockID: "100088", OpenID: "dsadas34345454545", WechatpayUseTime: "2015-05-20T13:29:35+08:00"}, bu)

	// The update document's PROGRESSIVE_BUNDLE mode.
	strict(`{"usage_mode":"PROGRESSIVE_BUNDLE","progressive_bundle_usage_info":{"count":3,"interval_days":7}}`, &pc)
	assert.Equal(t, int64(7), pc.ProgressiveBundleUsageInfo.IntervalDays)
}
