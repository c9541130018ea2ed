package marketing

// BusifavorStockGetRequest queries a busifavor stock:
// GET /v3/marketing/busifavor/stocks/{stock_id}. stock_id is the only
// (path) parameter, 1-20 characters; there is no body.
type BusifavorStockGetRequest struct {
	StockID string `json:"stock_id"`
}

// Operation returns OpBusifavorStockGet.
func (r *BusifavorStockGetRequest) Operation() Operation { return OpBusifavorStockGet }

// RequestNo returns "": a query has no idempotency number (the job id is
// free-form, see CONTRACT.md).
func (r *BusifavorStockGetRequest) RequestNo() string { return "" }

// Path returns the path with stock_id escaped into it.
func (r *BusifavorStockGetRequest) Path() string {
	return fillPath(OpBusifavorStockGet, "stock_id", r.StockID)
}

// Body returns nil: GET has no body.
func (r *BusifavorStockGetRequest) Body() ([]byte, error) { return nil, nil }

// Validate checks that stock_id is present and 1-20 characters.
func (r *BusifavorStockGetRequest) Validate() error {
	var c checker
	if c.required("stock_id", r.StockID) {
		c.pathParam("stock_id", r.StockID, 1, 20)
	}
	return c.err()
}

// BusifavorStock is the 200 answer of the busifavor stock query (document
// 002). Times are kept as the strings WeChat Pay sent; Response.Body stays
// the authoritative answer.
type BusifavorStock struct {
	StockName            string                       `json:"stock_name,omitempty"`
	BelongMerchant       string                       `json:"belong_merchant,omitempty"`
	Comment              string                       `json:"comment,omitempty"`
	GoodsName            string                       `json:"goods_name,omitempty"`
	StockType            string                       `json:"stock_type,omitempty"` // NORMAL, DISCOUNT, EXCHANGE
	CouponUseRule        *BusifavorCouponUseRule      `json:"coupon_use_rule,omitempty"`
	StockSendRule        *BusifavorStockSendRule      `json:"stock_send_rule,omitempty"`
	CustomEntrance       *BusifavorCustomEntrance     `json:"custom_entrance,omitempty"`
	DisplayPatternInfo   *BusifavorDisplayPatternInfo `json:"display_pattern_info,omitempty"`
	StockState           string                       `json:"stock_state,omitempty"`      // UNAUDIT, RUNNING, STOPED, PAUSED
	CouponCodeMode       string                       `json:"coupon_code_mode,omitempty"` // WECHATPAY_MODE, MERCHANT_API, MERCHANT_UPLOAD
	StockID              string                       `json:"stock_id,omitempty"`
	CouponCodeCount      *CodeCount                   `json:"coupon_code_count,omitempty"`
	NotifyConfig         *NotifyConfig                `json:"notify_config,omitempty"`
	SendCountInformation *BusifavorSendCount          `json:"send_count_information,omitempty"`
	Subsidy              bool                         `json:"subsidy,omitempty"`
}

// BusifavorCouponUseRule is a busifavor stock's redemption rule.
type BusifavorCouponUseRule struct {
	CouponAvailableTime *BusifavorAvailableTime     `json:"coupon_available_time,omitempty"`
	FixedNormalCoupon   *BusifavorFixedNormalCoupon `json:"fixed_normal_coupon,omitempty"`
	DiscountCoupon      *BusifavorDiscountCoupon    `json:"discount_coupon,omitempty"`
	ExchangeCoupon      *BusifavorExchangeCoupon    `json:"exchange_coupon,omitempty"`
	UseMethod           string                      `json:"use_method,omitempty"` // OFF_LINE, MINI_PROGRAMS, SELF_CONSUME, PAYMENT_CODE
	MiniProgramsAppID   string                      `json:"mini_programs_appid,omitempty"`
	MiniProgramsPath    string                      `json:"mini_programs_path,omitempty"`
}

// BusifavorAvailableTime is when a busifavor coupon can be redeemed. The
// misspelt JSON name irregulary_avaliable_time is the API's own.
type BusifavorAvailableTime struct {
	AvailableBeginTime       string                  `json:"available_begin_time,omitempty"`
	AvailableEndTime         string                  `json:"available_end_time,omitempty"`
	AvailableDayAfterReceive int64                   `json:"available_day_after_receive,omitempty"`
	AvailableWeek            *BusifavorAvailableWeek `json:"available_week,omitempty"`
	IrregularyAvaliableTime  []TimePeriod            `json:"irregulary_avaliable_time,omitempty"`
	WaitDaysAfterReceive     int64                   `json:"wait_days_after_receive,omitempty"`
}

// BusifavorAvailableWeek is a weekly redemption window: week days (1-7) and
// times of day in seconds since midnight.
type BusifavorAvailableWeek struct {
	WeekDay          []int64     `json:"week_day,omitempty"`
	AvailableDayTime []DayPeriod `json:"available_day_time,omitempty"`
}

// BusifavorFixedNormalCoupon is a fixed-amount coupon rule (amounts in fen).
type BusifavorFixedNormalCoupon struct {
	DiscountAmount     int64 `json:"discount_amount,omitempty"`
	TransactionMinimum int64 `json:"transaction_minimum,omitempty"`
}

// BusifavorDiscountCoupon is a percentage coupon rule.
type BusifavorDiscountCoupon struct {
	DiscountPercent    int64 `json:"discount_percent,omitempty"`
	TransactionMinimum int64 `json:"transaction_minimum,omitempty"`
}

// BusifavorExchangeCoupon is an exchange coupon rule (amounts in fen).
type BusifavorExchangeCoupon struct {
	ExchangePrice      int64 `json:"exchange_price,omitempty"`
	TransactionMinimum int64 `json:"transaction_minimum,omitempty"`
}

// BusifavorStockSendRule is a busifavor stock's issuing rule.
type BusifavorStockSendRule struct {
	MaxAmount          int64 `json:"max_amount,omitempty"`
	MaxCoupons         int64 `json:"max_coupons,omitempty"`
	MaxCouponsPerUser  int64 `json:"max_coupons_per_user,omitempty"`
	MaxAmountByDay     int64 `json:"max_amount_by_day,omitempty"`
	MaxCouponsByDay    int64 `json:"max_coupons_by_day,omitempty"`
	NaturalPersonLimit bool  `json:"natural_person_limit,omitempty"`
	PreventAPIAbuse    bool  `json:"prevent_api_abuse,omitempty"`
	Transferable       bool  `json:"transferable,omitempty"`
	Shareable          bool  `json:"shareable,omitempty"`
}

// BusifavorCustomEntrance is the custom entrances on the coupon page.
type BusifavorCustomEntrance struct {
	MiniProgramsInfo *BusifavorMiniProgramsInfo `json:"mini_programs_info,omitempty"`
	AppID            string                     `json:"appid,omitempty"`
	HallID           string                     `json:"hall_id,omitempty"`
	StoreID          string                     `json:"store_id,omitempty"`
	CodeDisplayMode  string                     `json:"code_display_mode,omitempty"` // NOT_SHOW, BARCODE, QRCODE
}

// BusifavorMiniProgramsInfo is a mini-program entrance.
type BusifavorMiniProgramsInfo struct {
	MiniProgramsAppID string `json:"mini_programs_appid,omitempty"`
	MiniProgramsPath  string `json:"mini_programs_path,omitempty"`
	EntranceWords     string `json:"entrance_words,omitempty"`
	GuidingWords      string `json:"guiding_words,omitempty"`
}

// BusifavorDisplayPatternInfo is a busifavor stock's display style.
type BusifavorDisplayPatternInfo struct {
	Description     string      `json:"description,omitempty"`
	MerchantLogoURL string      `json:"merchant_logo_url,omitempty"`
	MerchantName    string      `json:"merchant_name,omitempty"`
	BackgroundColor string      `json:"background_color,omitempty"`
	CouponImageURL  string      `json:"coupon_image_url,omitempty"`
	FinderInfo      *FinderInfo `json:"finder_info,omitempty"`
}

// BusifavorSendCount is how many coupons of a busifavor stock were issued.
type BusifavorSendCount struct {
	TotalSendNum    int64 `json:"total_send_num,omitempty"`
	TotalSendAmount int64 `json:"total_send_amount,omitempty"`
	TodaySendNum    int64 `json:"today_send_num,omitempty"`
	TodaySendAmount int64 `json:"today_send_amount,omitempty"`
}

// FinderInfo is a WeChat Channels (视频号) entrance; used by busifavor
// stocks (finder_info) and product coupon stocks (entrance_finder).
type FinderInfo struct {
	FinderID                 string `json:"finder_id,omitempty"`
	FinderVideoID            string `json:"finder_video_id,omitempty"`
	FinderVideoCoverImageURL string `json:"finder_video_cover_image_url,omitempty"`
}

// CodeCount is how many uploaded coupon codes a stock has.
type CodeCount struct {
	TotalCount     int64 `json:"total_count,omitempty"`
	AvailableCount int64 `json:"available_count,omitempty"`
}

// NotifyConfig is a stock's event notification setting.
type NotifyConfig struct {
	NotifyAppID string `json:"notify_appid,omitempty"`
}

// TimePeriod is a begin/end pair of RFC 3339 time strings.
type TimePeriod struct {
	BeginTime string `json:"begin_time,omitempty"`
	EndTime   string `json:"end_time,omitempty"`
}

// DayPeriod is a window within a day, in seconds since midnight.
type DayPeriod struct {
	BeginTime int64 `json:"begin_time,omitempty"`
	EndTime   int64 `json:"end_time,omitempty"`
}
