package sandbox_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat/sandbox"
)

// TestAnswersMatchDocumentedShapes decodes every answer strictly into the
// wechat package's response types (so neither side has a field the other
// lacks) and checks the fields the documents mark required (必填).
func TestAnswersMatchDocumentedShapes(t *testing.T) {
	b := setup(t)
	_, single, err := b.client.UseProductCoupon(ctx(t), b.mchid(), productUse("shape", "SHAPE_0001"))
	require.NoError(t, err)
	_, sequential, err := b.client.UseProductCoupon(ctx(t), b.mchid(), sequentialUse("shape", "SHAPE_0002", 0))
	require.NoError(t, err)
	_, updated, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("SHAPE_0003", "新名字新名字"))
	require.NoError(t, err)
	_, stock, err := b.client.GetBusifavorStock(ctx(t), b.mchid(), &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
	require.NoError(t, err)
	_, used, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("shape", "SHAPE0004"))
	require.NoError(t, err)

	userCouponRequired := []string{"coupon_code", "coupon_state", "valid_begin_time", "valid_end_time", "receive_time",
		"send_request_no", "send_channel", "product_coupon", "stock", "brand_id"}
	productCouponRequired := []string{"product_coupon_id", "scope", "type", "usage_mode", "display_info", "state", "brand_id"}
	stockRequired := []string{"product_coupon_id", "stock_id", "coupon_code_mode", "stock_send_rule", "usage_rule_display_info",
		"coupon_display_info", "notify_config", "store_scope", "sent_count_info", "state", "brand_id"}
	for _, c := range []struct {
		name     string
		body     []byte
		into     any
		required []string
		nested   map[string][]string
	}{
		{"single use", single.Body, &marketing.UserProductCoupon{}, append(userCouponRequired, "single_usage_detail"),
			map[string][]string{"product_coupon": append(productCouponRequired, "single_usage_info"), "stock": append(stockRequired, "single_usage_rule")}},
		{"sequential use", sequential.Body, &marketing.UserProductCoupon{}, append(userCouponRequired, "sequential_usage_detail"),
			map[string][]string{"product_coupon": append(productCouponRequired, "sequential_usage_info"), "stock": append(stockRequired, "sequential_usage_rule")}},
		{"update", updated.Body, &marketing.ProductCoupon{}, append(productCouponRequired, "single_usage_info"), nil},
		{"stock", stock.Body, &marketing.BusifavorStock{}, []string{"stock_name", "belong_merchant", "goods_name", "stock_type",
			"coupon_use_rule", "stock_send_rule", "stock_state", "coupon_code_mode", "stock_id"}, nil},
		{"busifavor use", used.Body, &marketing.BusifavorUseResponse{}, []string{"stock_id", "openid", "wechatpay_use_time"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := json.NewDecoder(bytes.NewReader(c.body))
			d.DisallowUnknownFields()
			require.NoError(t, d.Decode(c.into), "%s", c.body)
			var generic map[string]any
			require.NoError(t, json.Unmarshal(c.body, &generic))
			for _, k := range c.required {
				require.Contains(t, generic, k)
			}
			for obj, keys := range c.nested {
				inner, ok := generic[obj].(map[string]any)
				require.True(t, ok, obj)
				for _, k := range keys {
					require.Contains(t, inner, k, obj)
				}
			}
		})
	}
}
