package marketing

// ProductCoupon is a product coupon (ProductCouponEntity in the documents):
// the 200 answer of product coupon update and the product_coupon object of a
// user coupon. The use document describes SequentialUsageInfo (usage_mode
// SEQUENTIAL), the update document ProgressiveBundleUsageInfo (usage_mode
// PROGRESSIVE_BUNDLE); both are kept. Times are strings as sent.
type ProductCoupon struct {
	ProductCouponID            string                      `json:"product_coupon_id,omitempty"`
	Scope                      string                      `json:"scope,omitempty"`      // ALL, SINGLE
	Type                       string                      `json:"type,omitempty"`       // NORMAL, DISCOUNT, EXCHANGE
	UsageMode                  string                      `json:"usage_mode,omitempty"` // SINGLE, SEQUENTIAL, PROGRESSIVE_BUNDLE
	SingleUsageInfo            *SingleUsageInfo            `json:"single_usage_info,omitempty"`
	SequentialUsageInfo        *SequentialUsageInfo        `json:"sequential_usage_info,omitempty"`
	ProgressiveBundleUsageInfo *ProgressiveBundleUsageInfo `json:"progressive_bundle_usage_info,omitempty"`
	DisplayInfo                *ProductCouponDisplayInfo   `json:"display_info,omitempty"`
	OutProductNo               string                      `json:"out_product_no,omitempty"`
	State                      string                      `json:"state,omitempty"` // AUDITING, EFFECTIVE, DEACTIVATED
	DeactivateRequestNo        string                      `json:"deactivate_request_no,omitempty"`
	DeactivateTime             string                      `json:"deactivate_time,omitempty"`
	DeactivateReason           string                      `json:"deactivate_reason,omitempty"`
	BrandID                    string                      `json:"brand_id,omitempty"`
}

// ProductCouponDisplayInfo is a product coupon's display information, sent
// in the update request and returned in answers. Prices are in fen.
// OriginalPrice, Price and Count are pointers because 0 is a value.
// The update request's rules are listed on ProductCouponUpdateRequest.Validate.
type ProductCouponDisplayInfo struct {
	Name               string         `json:"name"`
	ImageURL           string         `json:"image_url"`
	BackgroundURL      string         `json:"background_url"`
	DetailImageURLList []string       `json:"detail_image_url_list,omitempty"`
	OriginalPrice      *int64         `json:"original_price,omitempty"`
	ComboPackageList   []ComboPackage `json:"combo_package_list,omitempty"`
}

// ComboPackage is a set menu: pick PickCount of ChoiceList.
type ComboPackage struct {
	Name       string               `json:"name"`
	PickCount  int64                `json:"pick_count"`
	ChoiceList []ComboPackageChoice `json:"choice_list"`
}

// ComboPackageChoice is one item of a combo package.
type ComboPackageChoice struct {
	Name             string `json:"name"`
	Price            *int64 `json:"price,omitempty"`
	Count            *int64 `json:"count,omitempty"`
	ImageURL         string `json:"image_url,omitempty"`
	MiniProgramAppID string `json:"mini_program_appid,omitempty"`
	MiniProgramPath  string `json:"mini_program_path,omitempty"`
}

// SingleUsageInfo is a SINGLE-mode product coupon's discount rule.
type SingleUsageInfo struct {
	NormalCoupon   *NormalCouponRule   `json:"normal_coupon,omitempty"`
	DiscountCoupon *DiscountCouponRule `json:"discount_coupon,omitempty"`
}

// SequentialUsageInfo is a SEQUENTIAL-mode product coupon's rule.
type SequentialUsageInfo struct {
	Type          string `json:"type,omitempty"` // INCREMENTAL, EQUAL
	Count         int64  `json:"count,omitempty"`
	AvailableDays int64  `json:"available_days,omitempty"`
	IntervalDays  int64  `json:"interval_days,omitempty"`
}

// ProgressiveBundleUsageInfo is a PROGRESSIVE_BUNDLE-mode product coupon's rule.
type ProgressiveBundleUsageInfo struct {
	Count        int64 `json:"count,omitempty"`
	IntervalDays int64 `json:"interval_days,omitempty"`
}

// NormalCouponRule is a threshold/fixed-amount discount (fen).
type NormalCouponRule struct {
	Threshold      int64 `json:"threshold,omitempty"`
	DiscountAmount int64 `json:"discount_amount,omitempty"`
}

// DiscountCouponRule is a threshold/percentage discount.
type DiscountCouponRule struct {
	Threshold  int64 `json:"threshold,omitempty"`
	PercentOff int64 `json:"percent_off,omitempty"`
}

// ExchangeCouponRule is a threshold/exchange-price rule (fen).
type ExchangeCouponRule struct {
	Threshold     int64 `json:"threshold,omitempty"`
	ExchangePrice int64 `json:"exchange_price,omitempty"`
}

// ProductCouponStock is the stock a user coupon was issued from
// (StockEntity in the documents).
type ProductCouponStock struct {
	ProductCouponID      string                      `json:"product_coupon_id,omitempty"`
	StockID              string                      `json:"stock_id,omitempty"`
	Remark               string                      `json:"remark,omitempty"`
	CouponCodeMode       string                      `json:"coupon_code_mode,omitempty"` // WECHATPAY, UPLOAD, API_ASSIGN
	CouponCodeCountInfo  *CodeCount                  `json:"coupon_code_count_info,omitempty"`
	StockSendRule        *ProductCouponStockSendRule `json:"stock_send_rule,omitempty"`
	SingleUsageRule      *SingleUsageRule            `json:"single_usage_rule,omitempty"`
	SequentialUsageRule  *SequentialUsageRule        `json:"sequential_usage_rule,omitempty"`
	UsageRuleDisplayInfo *UsageRuleDisplayInfo       `json:"usage_rule_display_info,omitempty"`
	CouponDisplayInfo    *CouponDisplayInfo          `json:"coupon_display_info,omitempty"`
	NotifyConfig         *NotifyConfig               `json:"notify_config,omitempty"`
	StoreScope           string                      `json:"store_scope,omitempty"` // NONE, ALL, SPECIFIC
	SentCountInfo        *SentCountInfo              `json:"sent_count_info,omitempty"`
	State                string                      `json:"state,omitempty"` // AUDITING, SENDING, PAUSED, STOPPED, DEACTIVATED
	DeactivateRequestNo  string                      `json:"deactivate_request_no,omitempty"`
	DeactivateTime       string                      `json:"deactivate_time,omitempty"`
	DeactivateReason     string                      `json:"deactivate_reason,omitempty"`
	BrandID              string                      `json:"brand_id,omitempty"`
}

// ProductCouponStockSendRule is a product coupon stock's issuing limits.
type ProductCouponStockSendRule struct {
	MaxCount        int64 `json:"max_count,omitempty"`
	MaxCountPerDay  int64 `json:"max_count_per_day,omitempty"`
	MaxCountPerUser int64 `json:"max_count_per_user,omitempty"`
}

// SingleUsageRule is a SINGLE-mode stock's rule. The use document's example
// names the rules normal_coupon_list/discount_coupon_list while its summary
// table says normal_coupon/discount_coupon; both spellings are kept.
type SingleUsageRule struct {
	CouponAvailablePeriod *CouponAvailablePeriod `json:"coupon_available_period,omitempty"`
	NormalCoupon          *NormalCouponRule      `json:"normal_coupon,omitempty"`
	NormalCouponList      *NormalCouponRule      `json:"normal_coupon_list,omitempty"`
	DiscountCoupon        *DiscountCouponRule    `json:"discount_coupon,omitempty"`
	DiscountCouponList    *DiscountCouponRule    `json:"discount_coupon_list,omitempty"`
	ExchangeCoupon        *ExchangeCouponRule    `json:"exchange_coupon,omitempty"`
}

// SequentialUsageRule is a SEQUENTIAL-mode stock's rule, one entry per round.
type SequentialUsageRule struct {
	CouponAvailablePeriod *CouponAvailablePeriod `json:"coupon_available_period,omitempty"`
	NormalCouponList      []NormalCouponRule     `json:"normal_coupon_list,omitempty"`
	DiscountCouponList    []DiscountCouponRule   `json:"discount_coupon_list,omitempty"`
	ExchangeCouponList    []ExchangeCouponRule   `json:"exchange_coupon_list,omitempty"`
	SpecialFirst          bool                   `json:"special_first,omitempty"`
}

// CouponAvailablePeriod is when coupons of a stock can be used
// (available_days exists only for SINGLE mode).
type CouponAvailablePeriod struct {
	AvailableBeginTime           string                 `json:"available_begin_time,omitempty"`
	AvailableEndTime             string                 `json:"available_end_time,omitempty"`
	AvailableDays                int64                  `json:"available_days,omitempty"`
	WaitDaysAfterReceive         int64                  `json:"wait_days_after_receive,omitempty"`
	WeeklyAvailablePeriod        *WeeklyAvailablePeriod `json:"weekly_available_period,omitempty"`
	IrregularAvailablePeriodList []TimePeriod           `json:"irregular_available_period_list,omitempty"`
}

// WeeklyAvailablePeriod is a weekly window: days (MONDAY..SUNDAY) and
// times of day in seconds since midnight.
type WeeklyAvailablePeriod struct {
	DayList       []string    `json:"day_list,omitempty"`
	DayPeriodList []DayPeriod `json:"day_period_list,omitempty"`
}

// UsageRuleDisplayInfo is how a stock's usage rules are shown.
type UsageRuleDisplayInfo struct {
	CouponUsageMethodList    []string                  `json:"coupon_usage_method_list,omitempty"` // OFFLINE, MINI_PROGRAM, APP, PAYMENT_CODE
	MiniProgramAppID         string                    `json:"mini_program_appid,omitempty"`
	MiniProgramPath          string                    `json:"mini_program_path,omitempty"`
	AppPath                  string                    `json:"app_path,omitempty"`
	UsageDescription         string                    `json:"usage_description,omitempty"`
	CouponAvailableStoreInfo *CouponAvailableStoreInfo `json:"coupon_available_store_info,omitempty"`
}

// CouponAvailableStoreInfo describes where coupons can be used.
type CouponAvailableStoreInfo struct {
	Description      string `json:"description,omitempty"`
	MiniProgramAppID string `json:"mini_program_appid,omitempty"`
	MiniProgramPath  string `json:"mini_program_path,omitempty"`
}

// CouponDisplayInfo is how a user coupon is shown in the card wallet.
type CouponDisplayInfo struct {
	CodeDisplayMode         string                   `json:"code_display_mode,omitempty"` // INVISIBLE, BARCODE, QRCODE
	BackgroundColor         string                   `json:"background_color,omitempty"`
	EntranceMiniProgram     *EntranceMiniProgram     `json:"entrance_mini_program,omitempty"`
	EntranceOfficialAccount *EntranceOfficialAccount `json:"entrance_official_account,omitempty"`
	EntranceFinder          *FinderInfo              `json:"entrance_finder,omitempty"`
}

// EntranceMiniProgram is a mini-program entrance on a user coupon.
type EntranceMiniProgram struct {
	AppID           string `json:"appid,omitempty"`
	Path            string `json:"path,omitempty"`
	EntranceWording string `json:"entrance_wording,omitempty"`
	GuidanceWording string `json:"guidance_wording,omitempty"`
}

// EntranceOfficialAccount is an official-account entrance on a user coupon.
type EntranceOfficialAccount struct {
	AppID string `json:"appid,omitempty"`
}

// SentCountInfo is how many coupons of a product coupon stock were issued.
type SentCountInfo struct {
	TotalCount int64 `json:"total_count,omitempty"`
	TodayCount int64 `json:"today_count,omitempty"`
}
