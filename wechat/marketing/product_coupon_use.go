package marketing

// ProductCouponUseRequest redeems a user's product coupon (商品券):
// POST /v3/marketing/partner/product-coupon/users/{openid}/coupons/{coupon_code}/use.
// OpenID and CouponCode are path parameters: they decode from a job's request
// object like any field but are left out of the body.
//
// Field rules (documents 000/001): openid 1-128, coupon_code 1-40,
// product_coupon_id 1-40, stock_id 1-40, appid 1-32, use_time RFC 3339 with
// seconds, associated_order_info required with transaction_id or
// out_trade_no (out_trade_no needs mchid), out_request_no 6-40 of
// [0-9A-Za-z_-], brand_id required.
//
// SequentialCouponIndex (0 = first use) is allowed only when the coupon's
// usage_mode is SEQUENTIAL and required then. Only the server knows the
// usage mode, so Validate checks just that it is >= 0; a mismatch comes back
// as 400 INVALID_REQUEST (a permanent error).
type ProductCouponUseRequest struct {
	OpenID                string               `json:"openid"`
	CouponCode            string               `json:"coupon_code"`
	ProductCouponID       string               `json:"product_coupon_id"`
	StockID               string               `json:"stock_id"`
	AppID                 string               `json:"appid"`
	UseTime               string               `json:"use_time"`
	AssociatedOrderInfo   *AssociatedOrderInfo `json:"associated_order_info"`
	OutRequestNo          string               `json:"out_request_no"`
	SequentialCouponIndex *int64               `json:"sequential_coupon_index,omitempty"`
	BrandID               string               `json:"brand_id"`
}

// AssociatedOrderInfo names the WeChat Pay order a redemption belongs to:
// transaction_id, or out_trade_no together with the mchid that placed it
// (and sub_mchid for a sub-merchant).
type AssociatedOrderInfo struct {
	TransactionID string `json:"transaction_id,omitempty"`
	OutTradeNo    string `json:"out_trade_no,omitempty"`
	MchID         string `json:"mchid,omitempty"`
	SubMchID      string `json:"sub_mchid,omitempty"`
}

// productCouponUseBody is the body: the request without its path parameters.
type productCouponUseBody struct {
	ProductCouponID       string               `json:"product_coupon_id"`
	StockID               string               `json:"stock_id"`
	AppID                 string               `json:"appid"`
	UseTime               string               `json:"use_time"`
	AssociatedOrderInfo   *AssociatedOrderInfo `json:"associated_order_info"`
	OutRequestNo          string               `json:"out_request_no"`
	SequentialCouponIndex *int64               `json:"sequential_coupon_index,omitempty"`
	BrandID               string               `json:"brand_id"`
}

// Operation returns OpProductCouponUse.
func (r *ProductCouponUseRequest) Operation() Operation { return OpProductCouponUse }

// RequestNo returns out_request_no.
func (r *ProductCouponUseRequest) RequestNo() string { return r.OutRequestNo }

// Path returns the path with openid and coupon_code escaped into it.
func (r *ProductCouponUseRequest) Path() string {
	return fillPath(OpProductCouponUse, "openid", r.OpenID, "coupon_code", r.CouponCode)
}

// Body returns the JSON body without openid and coupon_code.
func (r *ProductCouponUseRequest) Body() ([]byte, error) {
	return marshalBody(productCouponUseBody{
		ProductCouponID:       r.ProductCouponID,
		StockID:               r.StockID,
		AppID:                 r.AppID,
		UseTime:               r.UseTime,
		AssociatedOrderInfo:   r.AssociatedOrderInfo,
		OutRequestNo:          r.OutRequestNo,
		SequentialCouponIndex: r.SequentialCouponIndex,
		BrandID:               r.BrandID,
	})
}

// Validate checks the field rules listed on the type.
func (r *ProductCouponUseRequest) Validate() error {
	var c checker
	if c.required("openid", r.OpenID) {
		c.pathParam("openid", r.OpenID, 1, 128)
	}
	if c.required("coupon_code", r.CouponCode) {
		c.pathParam("coupon_code", r.CouponCode, 1, 40)
	}
	if c.required("product_coupon_id", r.ProductCouponID) {
		c.ident("product_coupon_id", r.ProductCouponID, 1, 40)
	}
	if c.required("stock_id", r.StockID) {
		c.ident("stock_id", r.StockID, 1, 40)
	}
	if c.required("appid", r.AppID) {
		c.ident("appid", r.AppID, 1, 32)
	}
	if c.required("use_time", r.UseTime) {
		c.rfc3339("use_time", r.UseTime, 64)
	}
	r.AssociatedOrderInfo.validate(&c, "associated_order_info")
	if c.required("out_request_no", r.OutRequestNo) {
		c.outRequestNo("out_request_no", r.OutRequestNo)
	}
	c.nonNegative("sequential_coupon_index", r.SequentialCouponIndex)
	if c.required("brand_id", r.BrandID) {
		c.ident("brand_id", r.BrandID, 1, 64)
	}
	return c.err()
}

func (a *AssociatedOrderInfo) validate(c *checker, field string) {
	if a == nil {
		c.add(field, "is required")
		return
	}
	if a.TransactionID == "" && a.OutTradeNo == "" {
		c.add(field, "must have transaction_id or out_trade_no")
	}
	if a.TransactionID != "" {
		c.ident(field+".transaction_id", a.TransactionID, 1, 64)
	}
	if a.OutTradeNo != "" {
		c.ident(field+".out_trade_no", a.OutTradeNo, 1, 64)
		if a.MchID == "" {
			c.add(field+".mchid", "is required with out_trade_no")
		}
	}
	if a.MchID != "" {
		c.ident(field+".mchid", a.MchID, 1, 32)
	}
	if a.SubMchID != "" {
		c.ident(field+".sub_mchid", a.SubMchID, 1, 32)
	}
}

// UserProductCoupon is the 200 answer of product coupon use: the user's
// coupon after redemption (UserProductCouponEntity in the documents). Times
// are kept as the strings WeChat Pay sent (the documents' own examples are
// not always RFC 3339); Response.Body stays the authoritative answer.
type UserProductCoupon struct {
	CouponCode            string                 `json:"coupon_code,omitempty"`
	CouponState           string                 `json:"coupon_state,omitempty"` // CONFIRMING, PENDING, EFFECTIVE, USED, EXPIRED, DELETED, DEACTIVATED
	ValidBeginTime        string                 `json:"valid_begin_time,omitempty"`
	ValidEndTime          string                 `json:"valid_end_time,omitempty"`
	ReceiveTime           string                 `json:"receive_time,omitempty"`
	SendRequestNo         string                 `json:"send_request_no,omitempty"`
	SendChannel           string                 `json:"send_channel,omitempty"` // API, BRAND_MANAGE, MERCHANT_CARD, MEMBER, SMALL_ACTIVITY
	ConfirmRequestNo      string                 `json:"confirm_request_no,omitempty"`
	ConfirmTime           string                 `json:"confirm_time,omitempty"`
	DeactivateRequestNo   string                 `json:"deactivate_request_no,omitempty"`
	DeactivateTime        string                 `json:"deactivate_time,omitempty"`
	DeactivateReason      string                 `json:"deactivate_reason,omitempty"`
	SingleUsageDetail     *SingleUsageDetail     `json:"single_usage_detail,omitempty"`
	SequentialUsageDetail *SequentialUsageDetail `json:"sequential_usage_detail,omitempty"`
	ProductCoupon         *ProductCoupon         `json:"product_coupon,omitempty"`
	Stock                 *ProductCouponStock    `json:"stock,omitempty"`
	Attach                string                 `json:"attach,omitempty"`
	ChannelCustomInfo     string                 `json:"channel_custom_info,omitempty"`
	BrandID               string                 `json:"brand_id,omitempty"`
}

// SingleUsageDetail is how a SINGLE-mode user coupon was used.
type SingleUsageDetail struct {
	UseRequestNo        string               `json:"use_request_no,omitempty"`
	UseTime             string               `json:"use_time,omitempty"`
	AssociatedOrderInfo *AssociatedOrderInfo `json:"associated_order_info,omitempty"`
	ReturnRequestNo     string               `json:"return_request_no,omitempty"`
	ReturnTime          string               `json:"return_time,omitempty"`
}

// SequentialUsageDetail is how a SEQUENTIAL-mode user coupon was used.
type SequentialUsageDetail struct {
	TotalCount     int64                       `json:"total_count,omitempty"`
	UsedCount      int64                       `json:"used_count,omitempty"`
	DetailItemList []SequentialUsageDetailItem `json:"detail_item_list,omitempty"`
}

// SequentialUsageDetailItem is one round of a SEQUENTIAL-mode user coupon.
type SequentialUsageDetailItem struct {
	DetailState         string               `json:"detail_state,omitempty"` // PENDING, EFFECTIVE, USED, EXPIRED, DELETED, DEACTIVATED
	ValidBeginTime      string               `json:"valid_begin_time,omitempty"`
	ValidEndTime        string               `json:"valid_end_time,omitempty"`
	UseRequestNo        string               `json:"use_request_no,omitempty"`
	UseTime             string               `json:"use_time,omitempty"`
	AssociatedOrderInfo *AssociatedOrderInfo `json:"associated_order_info,omitempty"`
	ReturnRequestNo     string               `json:"return_request_no,omitempty"`
	ReturnTime          string               `json:"return_time,omitempty"`
	DeleteTime          string               `json:"delete_time,omitempty"`
}
