package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/couponq/couponq/wechat/marketing"
)

// userCouponValidity is how long a lazily issued user coupon stays valid.
const userCouponValidity = 30 * 24 * time.Hour

// productVersion is a product coupon as of one update; versions are never
// modified, so answers can share them.
type productVersion struct {
	fixture productFixture
	// useView is the product_coupon object of the use document.
	useView map[string]any
	// updateView is the ProductCoupon answer of the update document, which
	// names the multi-use mode PROGRESSIVE_BUNDLE with a
	// progressive_bundle_usage_info object where the use document says
	// SEQUENTIAL and sequential_usage_info.
	updateView map[string]any
}

func newProductVersion(pf productFixture, displayInfo any) *productVersion {
	v := &productVersion{fixture: pf, useView: with(pf.coupon, "display_info", displayInfo)}
	v.updateView = v.useView
	if pf.sequential {
		info, _ := pf.coupon["sequential_usage_info"].(map[string]any)
		v.updateView = with(v.useView,
			"usage_mode", "PROGRESSIVE_BUNDLE",
			"progressive_bundle_usage_info", map[string]any{"count": info["count"], "interval_days": info["interval_days"]},
		)
		delete(v.updateView, "sequential_usage_info")
	}
	return v
}

// userCoupon is a product coupon issued to a user (lazily, at first use).
type userCoupon struct {
	code, openid string
	product      *productVersion // as it was when the coupon was issued
	receivedAt   time.Time
	uses         []couponUse // append-only
}

// couponUse is one redemption of a user coupon.
type couponUse struct {
	requestNo string
	useTime   string
	order     json.RawMessage // associated_order_info as sent
}

func productNotFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: msg}
}

func invalidRequest(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "INVALID_REQUEST", Message: msg}
}

func notEnough(msg string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "NOT_ENOUGH", Message: msg}
}

// productCouponUse redeems a user product coupon
// (POST /v3/marketing/partner/product-coupon/users/{openid}/coupons/{coupon_code}/use).
func (st *store) productCouponUse(mchid string, req *marketing.ProductCouponUseRequest, fp [sha256.Size]byte) ([]byte, *apiError) {
	order, err := json.Marshal(req.AssociatedOrderInfo)
	if err != nil {
		return nil, systemError("encode associated_order_info")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.merchant(mchid)
	conflict := invalidRequest("核销请求单号 out_request_no 已使用，且请求参数与原请求不一致")
	if body, aerr, ok := st.replay(m, marketing.OpProductCouponUse, req.OutRequestNo, fp, conflict); ok {
		return body, aerr
	}
	if req.BrandID != FixtureBrandID {
		return nil, &apiError{Status: http.StatusForbidden, Code: "NO_AUTH", Message: "品牌 " + req.BrandID + " 未授权当前服务商使用商品券"}
	}
	pv := m.products[req.ProductCouponID]
	if pv == nil {
		return nil, productNotFound("未找到 product_coupon_id 对应的商品券")
	}
	pf := pv.fixture
	if req.StockID != pf.stockID {
		return nil, productNotFound("未找到 stock_id 对应的商品券批次")
	}
	key := pf.stockID + "/" + req.CouponCode
	u := m.users[key]
	if strings.HasPrefix(req.CouponCode, NotFoundPrefix) || (u != nil && u.openid != req.OpenID) {
		return nil, productNotFound("未找到 coupon_code 对应的用户商品券")
	}
	used := 0
	if u != nil {
		used = len(u.uses)
	}
	index := req.SequentialCouponIndex
	switch {
	case !pf.sequential && index != nil:
		return nil, invalidRequest("商品券的 usage_mode 为 SINGLE，不应填写 sequential_coupon_index")
	case pf.sequential && index == nil:
		return nil, invalidRequest("商品券的 usage_mode 为 SEQUENTIAL，sequential_coupon_index 必填")
	case used >= pf.count:
		return nil, notEnough("用户券当前无法使用: 已核销")
	case pf.sequential && (*index < 0 || *index >= int64(pf.count)):
		return nil, invalidRequest(fmt.Sprintf("sequential_coupon_index 应在 0 到 %d 之间", pf.count-1))
	case pf.sequential && *index < int64(used):
		return nil, notEnough(fmt.Sprintf("用户券当前无法使用: 第 %d 次优惠已核销", *index))
	case pf.sequential && *index > int64(used):
		return nil, invalidRequest(fmt.Sprintf("sequential_coupon_index 应为 %d: 次卡须按顺序核销", used))
	}
	if u == nil {
		u = &userCoupon{code: req.CouponCode, openid: req.OpenID, product: pv, receivedAt: st.now()}
		m.users[key] = u
	}
	u.uses = append(u.uses, couponUse{requestNo: req.OutRequestNo, useTime: req.UseTime, order: order})
	m.done[doneKey{marketing.OpProductCouponUse, req.OutRequestNo}] = &record{fingerprint: fp, user: u, usedAfter: len(u.uses)}
	st.effect(marketing.OpProductCouponUse)
	return st.renderUserCoupon(u, len(u.uses))
}

// renderUserCoupon answers with the user coupon as it was after its first
// usedAfter uses (a UserProductCouponEntity of the use document). Callers hold mu.
func (st *store) renderUserCoupon(u *userCoupon, usedAfter int) ([]byte, *apiError) {
	pf := u.product.fixture
	begin, end := timestamp(u.receivedAt), timestamp(u.receivedAt.Add(userCouponValidity))
	state := "EFFECTIVE"
	if usedAfter >= pf.count {
		state = "USED"
	}
	sum := sha256.Sum256([]byte(u.code))
	answer := map[string]any{
		"coupon_code":      u.code,
		"coupon_state":     state,
		"valid_begin_time": begin,
		"valid_end_time":   end,
		"receive_time":     begin,
		"send_request_no":  "SANDBOXSEND" + strings.ToUpper(hex.EncodeToString(sum[:8])),
		"send_channel":     "API",
		"product_coupon":   u.product.useView,
		"stock":            pf.stock,
		"brand_id":         FixtureBrandID,
	}
	uses := u.uses[:usedAfter]
	if !pf.sequential {
		if usedAfter > 0 {
			answer["single_usage_detail"] = map[string]any{
				"use_request_no":        uses[0].requestNo,
				"use_time":              uses[0].useTime,
				"associated_order_info": uses[0].order,
			}
		}
		return marshalAnswer(answer)
	}
	items := make([]map[string]any, 0, pf.count)
	for i := 0; i < pf.count; i++ {
		item := map[string]any{"detail_state": "EFFECTIVE", "valid_begin_time": begin, "valid_end_time": end}
		if i < len(uses) {
			item["detail_state"] = "USED"
			item["use_request_no"] = uses[i].requestNo
			item["use_time"] = uses[i].useTime
			item["associated_order_info"] = uses[i].order
		}
		items = append(items, item)
	}
	answer["sequential_usage_detail"] = map[string]any{
		"total_count":      pf.count,
		"used_count":       usedAfter,
		"detail_item_list": items,
	}
	return marshalAnswer(answer)
}

// productCouponUpdate replaces a product coupon's display info
// (PATCH /v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}).
// displayInfo is the display_info object exactly as sent.
func (st *store) productCouponUpdate(mchid string, req *marketing.ProductCouponUpdateRequest, displayInfo json.RawMessage, fp [sha256.Size]byte) ([]byte, *apiError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.merchant(mchid)
	conflict := invalidRequest("修改请求单号 out_request_no 已使用，且请求参数与原请求不一致")
	if body, aerr, ok := st.replay(m, marketing.OpProductCouponUpdate, req.OutRequestNo, fp, conflict); ok {
		return body, aerr
	}
	pv := m.products[req.ProductCouponID]
	if pv == nil || req.BrandID != FixtureBrandID {
		return nil, productNotFound("未找到 product_coupon_id 对应的商品券")
	}
	nv := newProductVersion(pv.fixture, displayInfo)
	m.products[req.ProductCouponID] = nv
	m.done[doneKey{marketing.OpProductCouponUpdate, req.OutRequestNo}] = &record{fingerprint: fp, product: nv}
	st.effect(marketing.OpProductCouponUpdate)
	return marshalAnswer(nv.updateView)
}
