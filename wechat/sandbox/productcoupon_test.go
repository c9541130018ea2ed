package sandbox_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat/sandbox"
)

func TestProductCouponUse(t *testing.T) {
	b := setup(t)
	req := productUse("123446565767", "MCHUSE202003101234")
	coupon, resp, err := b.client.UseProductCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "123446565767", coupon.CouponCode)
	require.Equal(t, "USED", coupon.CouponState)
	require.Equal(t, sandbox.FixtureBrandID, coupon.BrandID)
	require.NotEmpty(t, coupon.ValidBeginTime)
	require.NotEmpty(t, coupon.ValidEndTime)
	require.NotEmpty(t, coupon.ReceiveTime)
	require.NotEmpty(t, coupon.SendRequestNo)
	require.Equal(t, "API", coupon.SendChannel)
	require.NotNil(t, coupon.SingleUsageDetail)
	require.Equal(t, "MCHUSE202003101234", coupon.SingleUsageDetail.UseRequestNo)
	require.Equal(t, useTime, coupon.SingleUsageDetail.UseTime)
	require.Equal(t, req.AssociatedOrderInfo, coupon.SingleUsageDetail.AssociatedOrderInfo)
	require.Nil(t, coupon.SequentialUsageDetail)
	require.NotNil(t, coupon.ProductCoupon)
	require.Equal(t, sandbox.FixtureProductCouponID, coupon.ProductCoupon.ProductCouponID)
	require.Equal(t, "SINGLE", coupon.ProductCoupon.UsageMode)
	require.NotNil(t, coupon.Stock)
	require.Equal(t, sandbox.FixtureProductStockID, coupon.Stock.StockID)
	require.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUse))
}

func TestProductCouponIdempotency(t *testing.T) {
	b := setup(t)
	req := productUse("replay", "PCUSE_0001")
	_, first, err := b.client.UseProductCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	_, second, err := b.client.UseProductCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	require.Equal(t, string(first.Body), string(second.Body))
	require.NotEqual(t, first.RequestID, second.RequestID)
	require.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUse))

	// Same number, another coupon (path) or another body: rejected.
	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), productUse("other", "PCUSE_0001"))
	apiError(t, err, http.StatusBadRequest, "INVALID_REQUEST")
	changed := productUse("replay", "PCUSE_0001")
	changed.UseTime = "2025-07-24T11:00:00+08:00"
	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), changed)
	apiError(t, err, http.StatusBadRequest, "INVALID_REQUEST")

	// The used coupon under a new number.
	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), productUse("replay", "PCUSE_0002"))
	apiError(t, err, http.StatusForbidden, "NOT_ENOUGH")
	require.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUse))
}

func TestProductCouponErrors(t *testing.T) {
	b := setup(t)
	tests := []struct {
		name    string
		mutate  func(*marketing.ProductCouponUseRequest)
		status  int
		code    string
		message string
	}{
		{"brand", func(r *marketing.ProductCouponUseRequest) { r.BrandID = "999" }, http.StatusForbidden, "NO_AUTH", ""},
		{"product coupon", func(r *marketing.ProductCouponUseRequest) { r.ProductCouponID = "42" }, http.StatusNotFound, "NOT_FOUND", "product_coupon_id"},
		{"stock", func(r *marketing.ProductCouponUseRequest) { r.StockID = sandbox.FixtureSequentialProductStockID }, http.StatusNotFound, "NOT_FOUND", "stock_id"},
		{"coupon code", func(r *marketing.ProductCouponUseRequest) { r.CouponCode = sandbox.NotFoundPrefix + "1" }, http.StatusNotFound, "NOT_FOUND", "coupon_code"},
		{"index on a single coupon", func(r *marketing.ProductCouponUseRequest) { zero := int64(0); r.SequentialCouponIndex = &zero }, http.StatusBadRequest, "INVALID_REQUEST", "sequential_coupon_index"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := productUse(fmt.Sprintf("code-%d", i), fmt.Sprintf("PCERR_%d", i))
			tt.mutate(req)
			_, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), req)
			ae := apiError(t, err, tt.status, tt.code)
			require.Contains(t, ae.Message, tt.message)
		})
	}
	require.Equal(t, 0, b.sb.Effects(marketing.OpProductCouponUse))
}

func TestProductCouponBelongsToFirstUser(t *testing.T) {
	b := setup(t)
	_, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), sequentialUse("card", "SEQ_A_0", 0))
	require.NoError(t, err)
	other := sequentialUse("card", "SEQ_A_1", 1)
	other.OpenID = "oAnotherUser"
	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), other)
	ae := apiError(t, err, http.StatusNotFound, "NOT_FOUND")
	require.Contains(t, ae.Message, "coupon_code")
}

func TestSequentialProductCoupon(t *testing.T) {
	b := setup(t)
	_, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), sequentialUse("card", "SEQ_B_X", 1))
	apiError(t, err, http.StatusBadRequest, "INVALID_REQUEST") // rounds go in order

	missing := sequentialUse("card", "SEQ_B_Y", 0)
	missing.SequentialCouponIndex = nil
	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), missing)
	apiError(t, err, http.StatusBadRequest, "INVALID_REQUEST") // required for SEQUENTIAL

	for i := range int64(sandbox.FixtureSequentialCount) {
		coupon, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), sequentialUse("card", fmt.Sprintf("SEQ_B_%d", i), i))
		require.NoError(t, err, "round %d", i)
		require.NotNil(t, coupon.SequentialUsageDetail)
		require.Nil(t, coupon.SingleUsageDetail)
		require.EqualValues(t, sandbox.FixtureSequentialCount, coupon.SequentialUsageDetail.TotalCount)
		require.EqualValues(t, i+1, coupon.SequentialUsageDetail.UsedCount)
		require.Len(t, coupon.SequentialUsageDetail.DetailItemList, sandbox.FixtureSequentialCount)
		require.Equal(t, "USED", coupon.SequentialUsageDetail.DetailItemList[i].DetailState)
		require.Equal(t, "SEQUENTIAL", coupon.ProductCoupon.UsageMode)
		if i+1 < sandbox.FixtureSequentialCount {
			require.Equal(t, "EFFECTIVE", coupon.CouponState)
		} else {
			require.Equal(t, "USED", coupon.CouponState)
		}
	}
	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), sequentialUse("card", "SEQ_B_9", 0))
	apiError(t, err, http.StatusForbidden, "NOT_ENOUGH") // all rounds used

	// A round already used, on a fresh card.
	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), sequentialUse("card2", "SEQ_C_0", 0))
	require.NoError(t, err)
	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), sequentialUse("card2", "SEQ_C_1", 0))
	apiError(t, err, http.StatusForbidden, "NOT_ENOUGH")
	require.Equal(t, sandbox.FixtureSequentialCount+1, b.sb.Effects(marketing.OpProductCouponUse))

	// A replay of round 0 shows the card as it was after round 0.
	first, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), sequentialUse("card", "SEQ_B_0", 0))
	require.NoError(t, err)
	require.EqualValues(t, 1, first.SequentialUsageDetail.UsedCount)
}

func TestProductCouponUpdate(t *testing.T) {
	b := setup(t)
	before, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), productUse("before-update", "PCUSE_1000"))
	require.NoError(t, err)

	updated, resp, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("UPD_0001", "全场满100立打8折-新名字"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, sandbox.FixtureProductCouponID, updated.ProductCouponID)
	require.Equal(t, "全场满100立打8折-新名字", updated.DisplayInfo.Name)
	require.Equal(t, "EFFECTIVE", updated.State)
	require.Equal(t, sandbox.FixtureBrandID, updated.BrandID)
	require.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUpdate))

	after, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), productUse("after-update", "PCUSE_1001"))
	require.NoError(t, err)
	require.Equal(t, "全场满100立打8折-新名字", after.ProductCoupon.DisplayInfo.Name)
	require.NotEqual(t, before.ProductCoupon.DisplayInfo.Name, after.ProductCoupon.DisplayInfo.Name)

	// Replaying the first use still shows the coupon as it was issued.
	replayed, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), productUse("before-update", "PCUSE_1000"))
	require.NoError(t, err)
	require.Equal(t, before.ProductCoupon.DisplayInfo.Name, replayed.ProductCoupon.DisplayInfo.Name)

	// A second update is visible in the next update's answer; the replay of the
	// first update answers as it did.
	second, _, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("UPD_0002", "第二个名字"))
	require.NoError(t, err)
	require.Equal(t, "第二个名字", second.DisplayInfo.Name)
	replay, _, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("UPD_0001", "全场满100立打8折-新名字"))
	require.NoError(t, err)
	require.Equal(t, "全场满100立打8折-新名字", replay.DisplayInfo.Name)
	require.Equal(t, 2, b.sb.Effects(marketing.OpProductCouponUpdate))

	_, _, err = b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("UPD_0001", "另一个名字"))
	apiError(t, err, http.StatusBadRequest, "INVALID_REQUEST")
	require.Equal(t, 2, b.sb.Effects(marketing.OpProductCouponUpdate))
}

func TestProductCouponUpdateErrors(t *testing.T) {
	b := setup(t)
	req := productUpdate("UPD_1000", "新名字新名字")
	req.ProductCouponID = "42"
	_, _, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), req)
	apiError(t, err, http.StatusNotFound, "NOT_FOUND")

	req = productUpdate("UPD_1001", "新名字新名字")
	req.BrandID = "999"
	_, _, err = b.client.UpdateProductCoupon(ctx(t), b.mchid(), req)
	apiError(t, err, http.StatusNotFound, "NOT_FOUND")

	// The sequential coupon answers in the update document's shape.
	req = productUpdate("UPD_1002", "新名字新名字")
	req.ProductCouponID = sandbox.FixtureSequentialProductCouponID
	pc, _, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	require.Equal(t, "PROGRESSIVE_BUNDLE", pc.UsageMode)
	require.NotNil(t, pc.ProgressiveBundleUsageInfo)
	require.Nil(t, pc.SequentialUsageInfo)
	require.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUpdate))
}

func TestPathParametersInBodyAreRejected(t *testing.T) {
	b := setup(t)
	req := productUse("code", "PCUSE_2000")
	body := []byte(`{"openid":"x","product_coupon_id":"1000000013","stock_id":"1000000013001","appid":"wx233544546545989","use_time":"2025-07-24T10:00:00+08:00","associated_order_info":{"transaction_id":"4200000000123456789123456789"},"out_request_no":"PCUSE_2000","brand_id":"120344"}`)
	resp := b.send(t, rawRequest{method: http.MethodPost, path: req.Path(), body: body, merchant: b.clients[0]})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "PARAM_ERROR", readError(t, resp).Code)
}

// TestEscapedPathParameters: path parameters are matched and signed as sent
// (escaped) and used unescaped.
func TestEscapedPathParameters(t *testing.T) {
	b := setup(t)
	req := productUse("c?1/2", "PCUSE_3000")
	req.OpenID = "o/+=x"
	require.Contains(t, req.Path(), "%2F")
	coupon, resp, err := b.client.UseProductCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err, "%v", resp)
	require.Equal(t, "c?1/2", coupon.CouponCode)
}

func TestWrongMethod(t *testing.T) {
	b := setup(t)
	resp, err := http.Get(b.srv.URL + "/v3/marketing/busifavor/coupons/use")
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Request-ID"))
	require.Equal(t, "NOT_FOUND", readError(t, resp).Code)
}
