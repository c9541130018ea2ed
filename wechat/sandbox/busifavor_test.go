package sandbox_test

import (
	"net/http"
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

func TestBusifavorUse(t *testing.T) {
	b := setup(t)
	answer, resp, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("sxxe34343434", "USE0001"))
	require.NoError(t, err) // the client verified the signature
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, resp.RequestID)
	require.Equal(t, sandbox.FixtureBusifavorStockID, answer.StockID)
	require.Equal(t, "oUser_busifavor_1", answer.OpenID)
	require.NotEmpty(t, answer.WechatpayUseTime)
	require.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse))
	require.Equal(t, sandbox.EndpointStats{Requests: 1, Status2xx: 1, MaxAcceptedPerSecond: 1}, b.sb.Stats(marketing.OpBusifavorUse))
	require.Equal(t, b.sb.Stats(marketing.OpBusifavorUse), b.sb.StatsFor(b.mchid(), marketing.OpBusifavorUse))
}

func TestBusifavorUseWithoutStockOrOpenID(t *testing.T) {
	b := setup(t)
	req := busifavorUse("code-without-stock", "USE0002")
	req.StockID, req.OpenID = "", ""
	answer, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	require.Equal(t, sandbox.FixtureBusifavorStockID, answer.StockID)
	require.NotEmpty(t, answer.OpenID, "the coupon was issued to someone")

	// The same coupon under its stock is the same coupon.
	again := busifavorUse("code-without-stock", "USE0003")
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), again)
	apiError(t, err, http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS")
}

func TestBusifavorIdempotentReplay(t *testing.T) {
	b := setup(t)
	req := busifavorUse("replay-code", "USE0100")
	_, first, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	_, second, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	require.JSONEq(t, string(first.Body), string(second.Body))
	require.Equal(t, string(first.Body), string(second.Body), "the same body byte for byte")
	require.NotEqual(t, first.RequestID, second.RequestID)
	require.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse), "the replay had no second effect")
}

func TestBusifavorSameNumberDifferentBody(t *testing.T) {
	b := setup(t)
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("code-a", "USE0200"))
	require.NoError(t, err)
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("code-b", "USE0200"))
	ae := apiError(t, err, http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS")
	require.Contains(t, ae.Message, "use_request_no")
	require.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse))
	require.Equal(t, wechat.ClassPermanent, wechat.Classify(err))
}

func TestBusifavorUsedCouponNewNumber(t *testing.T) {
	b := setup(t)
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("once", "USE0300"))
	require.NoError(t, err)
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("once", "USE0301"))
	ae := apiError(t, err, http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS")
	require.Contains(t, ae.Message, "券已被其他订单核销")
	require.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse))
}

func TestBusifavorCouponsArePerMerchant(t *testing.T) {
	b := setup(t)
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.keys[0].MchID, busifavorUse("shared-code", "USE0400"))
	require.NoError(t, err)
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.keys[1].MchID, busifavorUse("shared-code", "USE0400"))
	require.NoError(t, err, "another merchant's request numbers and coupons are its own")
	require.Equal(t, int64(1), b.sb.StatsFor(b.keys[1].MchID, marketing.OpBusifavorUse).Status2xx)
	require.Equal(t, int64(2), b.sb.Stats(marketing.OpBusifavorUse).Status2xx)
}

func TestBusifavorNotFound(t *testing.T) {
	b := setup(t)
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse(sandbox.NotFoundPrefix+"123", "USE0500"))
	apiError(t, err, http.StatusNotFound, "RESOURCE_NOT_EXISTS")

	req := busifavorUse("code", "USE0501")
	req.StockID = "999999"
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	apiError(t, err, http.StatusNotFound, "RESOURCE_NOT_EXISTS")

	// A failed number can be used again: nothing was recorded.
	req.StockID = sandbox.FixtureBusifavorStockID
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	require.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse))
	require.Equal(t, int64(2), b.sb.Stats(marketing.OpBusifavorUse).Status4xx)
}

func TestBusifavorStockGet(t *testing.T) {
	b := setup(t)
	stock, resp, err := b.client.GetBusifavorStock(ctx(t), b.mchid(), &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, sandbox.FixtureBusifavorStockID, stock.StockID)
	require.Equal(t, b.mchid(), stock.BelongMerchant)
	require.Equal(t, "RUNNING", stock.StockState)
	require.NotNil(t, stock.CouponUseRule)
	require.NotNil(t, stock.StockSendRule)
	require.Equal(t, 0, b.sb.Effects(marketing.OpBusifavorStockGet))

	_, _, err = b.client.GetBusifavorStock(ctx(t), b.mchid(), &marketing.BusifavorStockGetRequest{StockID: "404404"})
	apiError(t, err, http.StatusNotFound, "RESOURCE_NOT_EXISTS")
}

func TestParamErrorOnBrokenFieldRules(t *testing.T) {
	b := setup(t)
	// The client validates before sending, so break the rule by hand.
	resp := b.send(t, rawRequest{
		method:   http.MethodPost,
		path:     "/v3/marketing/busifavor/coupons/use",
		body:     []byte(`{"coupon_code":"c","appid":"wx1","use_time":"2025-07-24T10:00:00+08:00"}`),
		merchant: b.clients[0],
	})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e := readError(t, resp)
	require.Equal(t, "PARAM_ERROR", e.Code)
	require.Contains(t, e.Message, "use_request_no")

	resp = b.send(t, rawRequest{
		method:   http.MethodPost,
		path:     "/v3/marketing/busifavor/coupons/use",
		body:     []byte(`{"coupon_code":"c","unknown":1}`),
		merchant: b.clients[0],
	})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "PARAM_ERROR", readError(t, resp).Code)
	require.Equal(t, 0, b.sb.Effects(marketing.OpBusifavorUse))
}

func TestUnknownPath(t *testing.T) {
	b := setup(t)
	resp, err := http.Get(b.srv.URL + "/v3/nothing/here")
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Request-ID"))
	require.Equal(t, "NOT_FOUND", readError(t, resp).Code)
}
