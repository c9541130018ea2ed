package marketing

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ruleCase mutates a valid request; want is "" (still valid) or
// "field: rule" of the one violation expected (rule may be a prefix).
type ruleCase struct {
	name string
	req  func() Request
	want string
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req().Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			vs := violations(t, err)
			require.Len(t, vs, 1, "violations: %v", err)
			field, rule, _ := strings.Cut(tc.want, ": ")
			assert.Equal(t, field, vs[0].Field)
			assert.True(t, strings.HasPrefix(vs[0].Rule, rule), "rule %q, want prefix %q", vs[0].Rule, rule)
			assert.Equal(t, vs[0].Field+": "+vs[0].Rule, vs[0].Error())
		})
	}
}

func bu(f func(r *BusifavorUseRequest)) func() Request {
	return func() Request { r := docBusifavorUse(); f(r); return r }
}

func TestValidateBusifavorUse(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"doc example", bu(func(*BusifavorUseRequest) {}), ""},
		{"coupon_code required", bu(func(r *BusifavorUseRequest) { r.CouponCode = "" }), "coupon_code: is required"},
		{"coupon_code 32", bu(func(r *BusifavorUseRequest) { r.CouponCode = strings.Repeat("c", 32) }), ""},
		{"coupon_code 33", bu(func(r *BusifavorUseRequest) { r.CouponCode = strings.Repeat("c", 33) }), "coupon_code: must be 1-32 characters, got 33"},
		{"coupon_code space", bu(func(r *BusifavorUseRequest) { r.CouponCode = "a b" }), "coupon_code: must not contain whitespace"},
		{"coupon_code control", bu(func(r *BusifavorUseRequest) { r.CouponCode = "a\x00b" }), "coupon_code: must not contain whitespace or control"},
		{"coupon_code invalid utf8", bu(func(r *BusifavorUseRequest) { r.CouponCode = "a\xffb" }), "coupon_code: must be valid UTF-8"},
		{"stock_id optional", bu(func(r *BusifavorUseRequest) { r.StockID = "" }), ""},
		{"stock_id 20", bu(func(r *BusifavorUseRequest) { r.StockID = strings.Repeat("1", 20) }), ""},
		{"stock_id 21", bu(func(r *BusifavorUseRequest) { r.StockID = strings.Repeat("1", 21) }), "stock_id: must be 1-20 characters, got 21"},
		{"appid required", bu(func(r *BusifavorUseRequest) { r.AppID = "" }), "appid: is required"},
		{"appid 33", bu(func(r *BusifavorUseRequest) { r.AppID = "wx" + strings.Repeat("1", 31) }), "appid: must be 1-32 characters, got 33"},
		{"use_time required", bu(func(r *BusifavorUseRequest) { r.UseTime = "" }), "use_time: is required"},
		{"use_time UTC", bu(func(r *BusifavorUseRequest) { r.UseTime = "2015-05-20T05:29:35Z" }), ""},
		{"use_time fraction", bu(func(r *BusifavorUseRequest) { r.UseTime = "2015-05-20T13:29:35.5+08:00" }), ""},
		{"use_time no seconds", bu(func(r *BusifavorUseRequest) { r.UseTime = "2015-05-20T13:29+08:00" }), "use_time: must be an RFC 3339 time"},
		{"use_time no zone", bu(func(r *BusifavorUseRequest) { r.UseTime = "2015-05-20T13:29:35" }), "use_time: must be an RFC 3339 time"},
		{"use_time space", bu(func(r *BusifavorUseRequest) { r.UseTime = "2015-05-20 13:29:35+08:00" }), "use_time: must be an RFC 3339 time"},
		{"use_time doc prose", bu(func(r *BusifavorUseRequest) { r.UseTime = "2015-05-20T13:29:35.+08:00" }), "use_time: must be an RFC 3339 time"},
		{"use_time month 13", bu(func(r *BusifavorUseRequest) { r.UseTime = "2015-13-20T13:29:35+08:00" }), "use_time: must be an RFC 3339 time"},
		{"use_time over 32", bu(func(r *BusifavorUseRequest) { r.UseTime = "2015-05-20T13:29:35.123456789012+08:00" }), "use_time: must be at most 32 characters, got 38"},
		{"use_request_no required", bu(func(r *BusifavorUseRequest) { r.UseRequestNo = "" }), "use_request_no: is required"},
		{"use_request_no 1", bu(func(r *BusifavorUseRequest) { r.UseRequestNo = "x" }), ""},
		{"use_request_no 32 punctuation", bu(func(r *BusifavorUseRequest) { r.UseRequestNo = "!~" + strings.Repeat("a", 30) }), ""},
		{"use_request_no 33", bu(func(r *BusifavorUseRequest) { r.UseRequestNo = strings.Repeat("a", 33) }), "use_request_no: must be 1-32 characters, got 33"},
		{"use_request_no space", bu(func(r *BusifavorUseRequest) { r.UseRequestNo = "a b" }), "use_request_no: must be printable ASCII without spaces, got byte 0x20 at 1"},
		{"use_request_no non-ASCII", bu(func(r *BusifavorUseRequest) { r.UseRequestNo = "单号" }), "use_request_no: must be printable ASCII"},
		{"use_request_no newline", bu(func(r *BusifavorUseRequest) { r.UseRequestNo = "a\n" }), "use_request_no: must be printable ASCII"},
		{"openid optional", bu(func(r *BusifavorUseRequest) { r.OpenID = "" }), ""},
		{"openid 128", bu(func(r *BusifavorUseRequest) { r.OpenID = strings.Repeat("o", 128) }), ""},
		{"openid 129", bu(func(r *BusifavorUseRequest) { r.OpenID = strings.Repeat("o", 129) }), "openid: must be 1-128 characters, got 129"},
	})
}

func TestValidateBusifavorStockGet(t *testing.T) {
	sg := func(id string) func() Request {
		return func() Request { return &BusifavorStockGetRequest{StockID: id} }
	}
	runRuleCases(t, []ruleCase{
		{"doc example", sg("100088"), ""},
		{"required", sg(""), "stock_id: is required"},
		{"20", sg(strings.Repeat("9", 20)), ""},
		{"21", sg(strings.Repeat("9", 21)), "stock_id: must be 1-20 characters, got 21"},
		{"dot dot", sg(".."), `stock_id: must not be ".."`},
		{"dot", sg("."), `stock_id: must not be "."`},
		{"space", sg("1 2"), "stock_id: must not contain whitespace"},
	})
}

func pu(f func(r *ProductCouponUseRequest)) func() Request {
	return func() Request { r := docPCUse(); f(r); return r }
}

func TestValidateProductCouponUse(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"doc example with seconds", pu(func(*ProductCouponUseRequest) {}), ""},
		{"openid required", pu(func(r *ProductCouponUseRequest) { r.OpenID = "" }), "openid: is required"},
		{"openid 129", pu(func(r *ProductCouponUseRequest) { r.OpenID = strings.Repeat("o", 129) }), "openid: must be 1-128 characters, got 129"},
		{"openid dot dot", pu(func(r *ProductCouponUseRequest) { r.OpenID = ".." }), `openid: must not be ".."`},
		{"coupon_code required", pu(func(r *ProductCouponUseRequest) { r.CouponCode = "" }), "coupon_code: is required"},
		{"coupon_code 40", pu(func(r *ProductCouponUseRequest) { r.CouponCode = strings.Repeat("1", 40) }), ""},
		{"coupon_code 41", pu(func(r *ProductCouponUseRequest) { r.CouponCode = strings.Repeat("1", 41) }), "coupon_code: must be 1-40 characters, got 41"},
		{"coupon_code dot", pu(func(r *ProductCouponUseRequest) { r.CouponCode = "." }), `coupon_code: must not be "."`},
		{"product_coupon_id required", pu(func(r *ProductCouponUseRequest) { r.ProductCouponID = "" }), "product_coupon_id: is required"},
		{"product_coupon_id 41", pu(func(r *ProductCouponUseRequest) { r.ProductCouponID = strings.Repeat("1", 41) }), "product_coupon_id: must be 1-40 characters, got 41"},
		{"stock_id required", pu(func(r *ProductCouponUseRequest) { r.StockID = "" }), "stock_id: is required"},
		{"stock_id 41", pu(func(r *ProductCouponUseRequest) { r.StockID = strings.Repeat("1", 41) }), "stock_id: must be 1-40 characters, got 41"},
		{"appid required", pu(func(r *ProductCouponUseRequest) { r.AppID = "" }), "appid: is required"},
		{"appid 33", pu(func(r *ProductCouponUseRequest) { r.AppID = strings.Repeat("w", 33) }), "appid: must be 1-32 characters, got 33"},
		{"use_time required", pu(func(r *ProductCouponUseRequest) { r.UseTime = "" }), "use_time: is required"},
		{"use_time not a time", pu(func(r *ProductCouponUseRequest) { r.UseTime = "yesterday" }), "use_time: must be an RFC 3339 time"},
		{"associated_order_info required", pu(func(r *ProductCouponUseRequest) { r.AssociatedOrderInfo = nil }), "associated_order_info: is required"},
		{"associated_order_info empty", pu(func(r *ProductCouponUseRequest) { r.AssociatedOrderInfo = &AssociatedOrderInfo{} }),
			"associated_order_info: must have transaction_id or out_trade_no"},
		{"transaction_id alone", pu(func(r *ProductCouponUseRequest) {
			r.AssociatedOrderInfo = &AssociatedOrderInfo{TransactionID: "4200000000123456789123456789"}
		}), ""},
		{"out_trade_no with mchid", pu(func(r *ProductCouponUseRequest) {
			r.AssociatedOrderInfo = &AssociatedOrderInfo{OutTradeNo: "trade_no_1", MchID: "1234567890"}
		}), ""},
		{"out_trade_no without mchid", pu(func(r *ProductCouponUseRequest) {
			r.AssociatedOrderInfo = &AssociatedOrderInfo{OutTradeNo: "trade_no_1"}
		}), "associated_order_info.mchid: is required with out_trade_no"},
		{"out_trade_no space", pu(func(r *ProductCouponUseRequest) { r.AssociatedOrderInfo.OutTradeNo = "a b" }),
			"associated_order_info.out_trade_no: must not contain whitespace"},
		{"mchid too long", pu(func(r *ProductCouponUseRequest) { r.AssociatedOrderInfo.MchID = strings.Repeat("1", 33) }),
			"associated_order_info.mchid: must be 1-32 characters, got 33"},
		{"sub_mchid too long", pu(func(r *ProductCouponUseRequest) { r.AssociatedOrderInfo.SubMchID = strings.Repeat("1", 33) }),
			"associated_order_info.sub_mchid: must be 1-32 characters, got 33"},
		{"out_request_no required", pu(func(r *ProductCouponUseRequest) { r.OutRequestNo = "" }), "out_request_no: is required"},
		{"out_request_no 6", pu(func(r *ProductCouponUseRequest) { r.OutRequestNo = "a_b-C1" }), ""},
		{"out_request_no 5", pu(func(r *ProductCouponUseRequest) { r.OutRequestNo = "abcde" }), "out_request_no: must be 6-40 characters, got 5"},
		{"out_request_no 40", pu(func(r *ProductCouponUseRequest) { r.OutRequestNo = strings.Repeat("Z", 40) }), ""},
		{"out_request_no 41", pu(func(r *ProductCouponUseRequest) { r.OutRequestNo = strings.Repeat("Z", 41) }), "out_request_no: must be 6-40 characters, got 41"},
		{"out_request_no dot", pu(func(r *ProductCouponUseRequest) { r.OutRequestNo = "abc.def" }), `out_request_no: must contain only 0-9, A-Z, a-z, '_' and '-', got '.' at 3`},
		{"out_request_no chinese", pu(func(r *ProductCouponUseRequest) { r.OutRequestNo = "单号123456" }), "out_request_no: must contain only"},
		{"sequential_coupon_index absent", pu(func(r *ProductCouponUseRequest) { r.SequentialCouponIndex = nil }), ""},
		{"sequential_coupon_index 3", pu(func(r *ProductCouponUseRequest) { r.SequentialCouponIndex = int64p(3) }), ""},
		{"sequential_coupon_index -1", pu(func(r *ProductCouponUseRequest) { r.SequentialCouponIndex = int64p(-1) }), "sequential_coupon_index: must be >= 0, got -1"},
		{"brand_id required", pu(func(r *ProductCouponUseRequest) { r.BrandID = "" }), "brand_id: is required"},
	})
}

// TestValidateDocExampleUseTime: the product coupon documents' own example
// use_time "2025-07-24T00:00+08:00" has no seconds. The field rule says
// yyyy-MM-DDTHH:mm:ss+TIMEZONE, so it is rejected deliberately: we follow the
// rule, not the example.
func TestValidateDocExampleUseTime(t *testing.T) {
	r := docPCUse()
	r.UseTime = "2025-07-24T00:00+08:00"
	vs := violations(t, r.Validate())
	require.Len(t, vs, 1)
	assert.Equal(t, "use_time", vs[0].Field)
}

func pd(f func(r *ProductCouponUpdateRequest)) func() Request {
	return func() Request { r := docPCUpdate(); f(r); return r }
}

func combo() ComboPackage {
	return ComboPackage{Name: "咖啡2选1", PickCount: 1, ChoiceList: []ComboPackageChoice{
		{Name: "美式", Price: int64p(10000), Count: int64p(2)},
		{Name: "拿铁", Price: int64p(0), Count: int64p(0)},
	}}
}

func TestValidateProductCouponUpdate(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"doc example", pd(func(*ProductCouponUpdateRequest) {}), ""},
		{"product_coupon_id required", pd(func(r *ProductCouponUpdateRequest) { r.ProductCouponID = "" }), "product_coupon_id: is required"},
		{"product_coupon_id 41", pd(func(r *ProductCouponUpdateRequest) { r.ProductCouponID = strings.Repeat("1", 41) }), "product_coupon_id: must be 1-40 characters, got 41"},
		{"product_coupon_id dot dot", pd(func(r *ProductCouponUpdateRequest) { r.ProductCouponID = ".." }), `product_coupon_id: must not be ".."`},
		{"out_request_no required", pd(func(r *ProductCouponUpdateRequest) { r.OutRequestNo = "" }), "out_request_no: is required"},
		{"out_request_no space", pd(func(r *ProductCouponUpdateRequest) { r.OutRequestNo = "123 456" }), "out_request_no: must contain only"},
		{"display_info required", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo = nil }), "display_info: is required"},
		{"name required", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.Name = "" }), "display_info.name: is required"},
		{"name 2", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.Name = "新券" }), "display_info.name: must be 3-15 characters, got 2"},
		{"name 3", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.Name = "abc" }), ""},
		{"name 15 runes 45 bytes", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.Name = strings.Repeat("券", 15) }), ""},
		{"name 16", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.Name = strings.Repeat("券", 16) }), "display_info.name: must be 3-15 characters, got 16"},
		{"name control", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.Name = "abc\ndef" }), "display_info.name: must not contain control characters"},
		{"name spaces allowed", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.Name = "满 100 减 10" }), ""},
		{"image_url required", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.ImageURL = "" }), "display_info.image_url: is required"},
		{"background_url required", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.BackgroundURL = "" }), "display_info.background_url: is required"},
		{"detail images optional", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.DetailImageURLList = nil }), ""},
		{"detail images 8", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.DetailImageURLList = images(8) }), ""},
		{"detail images 9", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.DetailImageURLList = images(9) }), "display_info.detail_image_url_list: must have at most 8 images, got 9"},
		{"detail image empty", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.DetailImageURLList = []string{"https://a", ""} }), "display_info.detail_image_url_list[1]: is required"},
		{"original_price 0", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.OriginalPrice = int64p(0) }), ""},
		{"original_price -1", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.OriginalPrice = int64p(-1) }), "display_info.original_price: must be >= 0, got -1"},
		{"combo valid", pd(func(r *ProductCouponUpdateRequest) { r.DisplayInfo.ComboPackageList = []ComboPackage{combo()} }), ""},
		{"combo name", pd(func(r *ProductCouponUpdateRequest) {
			c := combo()
			c.Name = ""
			r.DisplayInfo.ComboPackageList = []ComboPackage{combo(), c}
		}), "display_info.combo_package_list[1].name: is required"},
		{"combo pick_count", pd(func(r *ProductCouponUpdateRequest) {
			c := combo()
			c.PickCount = 0
			r.DisplayInfo.ComboPackageList = []ComboPackage{c}
		}), "display_info.combo_package_list[0].pick_count: must be >= 1, got 0"},
		{"combo choice_list", pd(func(r *ProductCouponUpdateRequest) {
			c := combo()
			c.ChoiceList = nil
			r.DisplayInfo.ComboPackageList = []ComboPackage{c}
		}), "display_info.combo_package_list[0].choice_list: must not be empty"},
		{"choice name", pd(func(r *ProductCouponUpdateRequest) {
			c := combo()
			c.ChoiceList[1].Name = ""
			r.DisplayInfo.ComboPackageList = []ComboPackage{c}
		}), "display_info.combo_package_list[0].choice_list[1].name: is required"},
		{"choice price", pd(func(r *ProductCouponUpdateRequest) {
			c := combo()
			c.ChoiceList[0].Price = int64p(-5)
			r.DisplayInfo.ComboPackageList = []ComboPackage{c}
		}), "display_info.combo_package_list[0].choice_list[0].price: must be >= 0, got -5"},
		{"choice count", pd(func(r *ProductCouponUpdateRequest) {
			c := combo()
			c.ChoiceList[0].Count = int64p(-1)
			r.DisplayInfo.ComboPackageList = []ComboPackage{c}
		}), "display_info.combo_package_list[0].choice_list[0].count: must be >= 0, got -1"},
		{"brand_id required", pd(func(r *ProductCouponUpdateRequest) { r.BrandID = "" }), "brand_id: is required"},
	})
}

func images(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "https://wxpaylogo.qpic.cn/wxpaylogo/" + strings.Repeat("x", i+1)
	}
	return out
}

// TestValidateReportsEveryViolation: all problems at once, in field order,
// each a *ValidationError reachable with errors.As.
func TestValidateReportsEveryViolation(t *testing.T) {
	vs := violations(t, (&ProductCouponUseRequest{AssociatedOrderInfo: &AssociatedOrderInfo{OutTradeNo: "x"}}).Validate())
	var fields []string
	for _, v := range vs {
		fields = append(fields, v.Field)
	}
	assert.Equal(t, []string{"openid", "coupon_code", "product_coupon_id", "stock_id", "appid", "use_time",
		"associated_order_info.mchid", "out_request_no", "brand_id"}, fields)

	vs = violations(t, (&ProductCouponUpdateRequest{DisplayInfo: &ProductCouponDisplayInfo{Name: "ab"}}).Validate())
	fields = fields[:0]
	for _, v := range vs {
		fields = append(fields, v.Field)
	}
	assert.Equal(t, []string{"product_coupon_id", "out_request_no", "display_info.name", "display_info.image_url",
		"display_info.background_url", "brand_id"}, fields)

	assert.Len(t, violations(t, (&BusifavorUseRequest{}).Validate()), 4)
	assert.Len(t, violations(t, (&BusifavorStockGetRequest{}).Validate()), 1)
}
