package marketing

// BusifavorUseRequest redeems a busifavor (商家券) coupon:
// POST /v3/marketing/busifavor/coupons/use. Every field travels in the body.
//
// Field rules (document 004): coupon_code 1-32, stock_id 1-20 (optional,
// required by the server for MERCHANT_API/MERCHANT_UPLOAD stocks), appid 1-32,
// use_time RFC 3339 with seconds (at most 32 characters), use_request_no 1-32
// printable ASCII without spaces (it is the job id and becomes a NATS header
// value), openid 1-128 (optional).
type BusifavorUseRequest struct {
	CouponCode   string `json:"coupon_code"`
	StockID      string `json:"stock_id,omitempty"`
	AppID        string `json:"appid"`
	UseTime      string `json:"use_time"`
	UseRequestNo string `json:"use_request_no"`
	OpenID       string `json:"openid,omitempty"`
}

// BusifavorUseResponse is the 200 answer of busifavor coupon use.
// WechatpayUseTime is kept as the string WeChat Pay sent.
type BusifavorUseResponse struct {
	StockID          string `json:"stock_id,omitempty"`
	OpenID           string `json:"openid,omitempty"`
	WechatpayUseTime string `json:"wechatpay_use_time,omitempty"`
}

// Operation returns OpBusifavorUse.
func (r *BusifavorUseRequest) Operation() Operation { return OpBusifavorUse }

// RequestNo returns use_request_no.
func (r *BusifavorUseRequest) RequestNo() string { return r.UseRequestNo }

// Path returns the fixed path (this call has no path parameters).
func (r *BusifavorUseRequest) Path() string { return fillPath(OpBusifavorUse) }

// Body returns the JSON body: all fields, optional ones omitted when empty.
func (r *BusifavorUseRequest) Body() ([]byte, error) { return marshalBody(r) }

// Validate checks the field rules listed on the type.
func (r *BusifavorUseRequest) Validate() error {
	var c checker
	if c.required("coupon_code", r.CouponCode) {
		c.ident("coupon_code", r.CouponCode, 1, 32)
	}
	if r.StockID != "" {
		c.ident("stock_id", r.StockID, 1, 20)
	}
	if c.required("appid", r.AppID) {
		c.ident("appid", r.AppID, 1, 32)
	}
	if c.required("use_time", r.UseTime) {
		c.rfc3339("use_time", r.UseTime, 32)
	}
	if c.required("use_request_no", r.UseRequestNo) {
		c.printableASCII("use_request_no", r.UseRequestNo, 1, 32)
	}
	if r.OpenID != "" {
		c.ident("openid", r.OpenID, 1, 128)
	}
	return c.err()
}
