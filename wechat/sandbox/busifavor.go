package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/couponq/couponq/wechat/marketing"
)

// busifavorCoupon is a used busifavor coupon.
type busifavorCoupon struct {
	openid       string
	useRequestNo string
}

// busifavorNotFound is the 404 for unknown stocks and coupons.
func busifavorNotFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "RESOURCE_NOT_EXISTS", Message: msg}
}

// fixtureOpenID is the openid a busifavor coupon used without one is issued to.
func fixtureOpenID(code string) string {
	sum := sha256.Sum256([]byte(code))
	return "oSANDBOX" + hex.EncodeToString(sum[:10])
}

// busifavorUse redeems a busifavor coupon (POST /v3/marketing/busifavor/coupons/use).
func (st *store) busifavorUse(mchid string, req *marketing.BusifavorUseRequest, fp [sha256.Size]byte) ([]byte, *apiError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.merchant(mchid)
	conflict := &apiError{Status: http.StatusBadRequest, Code: "RESOURCE_ALREADY_EXISTS",
		Message: "核销请求单号 use_request_no 已使用，且请求参数与原请求不一致"}
	if body, aerr, ok := st.replay(m, marketing.OpBusifavorUse, req.UseRequestNo, fp, conflict); ok {
		return body, aerr
	}
	stockID := req.StockID
	if stockID == "" {
		stockID = FixtureBusifavorStockID
	}
	if stockID != FixtureBusifavorStockID {
		return nil, busifavorNotFound("批次不存在: stock_id " + req.StockID)
	}
	if strings.HasPrefix(req.CouponCode, NotFoundPrefix) {
		return nil, busifavorNotFound("券不存在: coupon_code " + req.CouponCode)
	}
	key := stockID + "/" + req.CouponCode
	if m.busifavor[key] != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "RESOURCE_ALREADY_EXISTS", Message: "券已被其他订单核销"}
	}
	openid := req.OpenID
	if openid == "" {
		openid = fixtureOpenID(req.CouponCode)
	}
	body, aerr := marshalAnswer(map[string]any{
		"stock_id":           stockID,
		"openid":             openid,
		"wechatpay_use_time": timestamp(st.now()),
	})
	if aerr != nil {
		return nil, aerr
	}
	m.busifavor[key] = &busifavorCoupon{openid: openid, useRequestNo: req.UseRequestNo}
	m.done[doneKey{marketing.OpBusifavorUse, req.UseRequestNo}] = &record{fingerprint: fp, body: body}
	st.effect(marketing.OpBusifavorUse)
	return body, nil
}

// busifavorStock answers GET /v3/marketing/busifavor/stocks/{stock_id}.
func (st *store) busifavorStock(mchid, stockID string) ([]byte, *apiError) {
	if stockID != FixtureBusifavorStockID {
		return nil, busifavorNotFound("批次不存在: stock_id " + stockID)
	}
	return marshalAnswer(with(st.fix.busifavorStock, "stock_id", stockID, "belong_merchant", mchid))
}
