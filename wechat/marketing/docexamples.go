package marketing

// Example is one of the WeChat Pay documents' examples (shared/seeds 000 to
// 004): a typed request and the answer the document shows for it. Tests, the
// sandbox and the documentation use them; Request is new on every call.
type Example struct {
	// Request is the document's request example as a typed request.
	Request Request
	// Answer is the document's response body example, verbatim (whitespace aside).
	Answer string
}

// The documents' own request examples, as typed requests. docPCUse differs
// from document 000 only in use_time: the document's "2025-07-24T00:00+08:00"
// has no seconds and is rejected on purpose (a test in this package checks that).
func docBusifavorUse() *BusifavorUseRequest {
	return &BusifavorUseRequest{
		CouponCode:   "sxxe34343434",
		StockID:      "100088",
		AppID:        "wx1234567889999",
		UseTime:      "2015-05-20T13:29:35+08:00",
		UseRequestNo: "1002600620019090123143254435",
		OpenID:       "xsd3434454567676",
	}
}

func docStockGet() *BusifavorStockGetRequest { return &BusifavorStockGetRequest{StockID: "100088"} }

func docPCUse() *ProductCouponUseRequest {
	return &ProductCouponUseRequest{
		OpenID:          "oh-394z-6CGkNoJrsDLTTUKiAnp4",
		CouponCode:      "123446565767",
		ProductCouponID: "1002323",
		StockID:         "100232301",
		AppID:           "wx233544546545989",
		UseTime:         "2025-07-24T00:00:00+08:00",
		AssociatedOrderInfo: &AssociatedOrderInfo{
			TransactionID: "4200000000123456789123456789",
			OutTradeNo:    "trade_no_20250724123456",
			MchID:         "1234567890",
			SubMchID:      "1234567890",
		},
		OutRequestNo:          "MCHUSE202003101234",
		SequentialCouponIndex: new(int64),
		BrandID:               "120344",
	}
}

func docPCUpdate() *ProductCouponUpdateRequest {
	return &ProductCouponUpdateRequest{
		ProductCouponID: "1000000013",
		OutRequestNo:    "12345_20250101_A3489",
		DisplayInfo: &ProductCouponDisplayInfo{
			Name:               "全场满100立打8折-新名字",
			ImageURL:           "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
			BackgroundURL:      "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
			DetailImageURLList: []string{"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"},
		},
		BrandID: "120344",
	}
}

// Answer examples copied verbatim (whitespace aside) from the WeChat Pay
// documents in shared/seeds: 000 (product coupon use), 002 (busifavor stock
// get), 003 (product coupon update), 004 (busifavor coupon use).

const pcUseAnswer = `{
"coupon_code" : "123446565767",
"coupon_state" : "USED",
"valid_begin_time" : "2025-01-01T00:00+08:00",
"valid_end_time" : "2025-01-30T23:59:59+08:00",
"receive_time" : "2025-01-01T09:10:00+08:00",
"send_request_no" : "MCHSEND202003101234",
"send_channel" : "API",
"confirm_request_no" : "MCHCONFIRM202003101234",
"confirm_time" : "2025-01-20T13:29:35+08:00",
"deactivate_request_no" : "1002600620019090123143254436",
"deactivate_time" : "2025-01-20T13:29:35+08:00",
"deactivate_reason" : "商品已下线",
"single_usage_detail" : {
"use_request_no" : "MCHUSE202003101234",
"use_time" : "2025-07-20T13:29:35+08:00",
"associated_order_info" : {
"transaction_id" : "4200000000123456789123456789",
"out_trade_no" : "trade_no_20250724123456",
"mchid" : "1234567890",
"sub_mchid" : "1234567890"
},
"return_request_no" : "MCHRETURN202003101234",
"return_time" : "2025-07-20T14:29:35+08:00"
},
"sequential_usage_detail" : {
"total_count" : 10,
"used_count" : 3,
"detail_item_list" : [
{
"detail_state" : "USED",
"valid_begin_time" : "2025-07-24T00:00+08:00",
"valid_end_time" : "2025-07-30T23:59:59+08:00",
"use_request_no" : "MCHUSE202003101234",
"use_time" : "2025-07-20T13:29:35+08:00",
"associated_order_info" : {
"transaction_id" : "4200000000123456789123456789",
"out_trade_no" : "trade_no_20250724123456",
"mchid" : "1234567890",
"sub_mchid" : "1234567890"
},
"return_request_no" : "MCHRETURN202003101234",
"return_time" : "2025-07-20T14:29:35+08:00",
"delete_time" : "2025-07-20T14:29:35+08:00"
}
]
},
"product_coupon" : {
"product_coupon_id" : "1002323",
"scope" : "ALL",
"type" : "NORMAL",
"usage_mode" : "SEQUENTIAL",
"single_usage_info" : {
"normal_coupon" : {
"threshold" : 10000,
"discount_amount" : 100
},
"discount_coupon" : {
"threshold" : 10000,
"percent_off" : 30
}
},
"sequential_usage_info" : {
"type" : "EQUAL",
"count" : 10,
"available_days" : 10,
"interval_days" : 1
},
"display_info" : {
"name" : "全场满100可减10元",
"image_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
"background_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
"detail_image_url_list" : [
"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"
],
"original_price" : 10000,
"combo_package_list" : [
{
"name" : "咖啡2选1",
"pick_count" : 3,
"choice_list" : [
{
"name" : "美式",
"price" : 10000,
"count" : 2,
"image_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
"mini_program_appid" : "wx4fd12345678",
"mini_program_path" : "/pages/index/index"
}
]
}
]
},
"out_product_no" : "example_out_product_no",
"state" : "AUDITING",
"deactivate_request_no" : "1002600620019090123143254436",
"deactivate_time" : "2025-06-20T13:29:35+08:00",
"deactivate_reason" : "商品已下架",
"brand_id" : "120344"
},
"stock" : {
"product_coupon_id" : "200000001",
"stock_id" : "123456789",
"remark" : "满减券",
"coupon_code_mode" : "UPLOAD",
"coupon_code_count_info" : {
"total_count" : 10000,
"available_count" : 999
},
"stock_send_rule" : {
"max_count" : 10000000,
"max_count_per_day" : 10000,
"max_count_per_user" : 1
},
"single_usage_rule" : {
"coupon_available_period" : {
"available_begin_time" : "2025-01-01T00:00:00+08:00",
"available_end_time" : "2025-10-01T00:00:00+08:00",
"available_days" : 10,
"wait_days_after_receive" : 1,
"weekly_available_period" : {
"day_list" : [
"MONDAY"
],
"day_period_list" : [
{
"begin_time" : 60,
"end_time" : 86399
}
]
},
"irregular_available_period_list" : [
{
"begin_time" : "2025-01-01T00:00:00+08:00",
"end_time" : "2025-10-01T00:00:00+08:00"
}
]
},
"normal_coupon_list" : {
"threshold" : 10000,
"discount_amount" : 100
},
"discount_coupon_list" : {
"threshold" : 10000,
"percent_off" : 30
},
"exchange_coupon" : {
"threshold" : 10000,
"exchange_price" : 100
}
},
"sequential_usage_rule" : {
"coupon_available_period" : {
"available_begin_time" : "2025-01-01T00:00:00+08:00",
"available_end_time" : "2025-10-01T00:00:00+08:00",
"wait_days_after_receive" : 1,
"weekly_available_period" : {
"day_list" : [
"MONDAY"
],
"day_period_list" : [
{
"begin_time" : 60,
"end_time" : 86399
}
]
},
"irregular_available_period_list" : [
{
"begin_time" : "2025-01-01T00:00:00+08:00",
"end_time" : "2025-10-01T00:00:00+08:00"
}
]
},
"normal_coupon_list" : [
{
"threshold" : 10000,
"discount_amount" : 100
}
],
"discount_coupon_list" : [
{
"threshold" : 10000,
"percent_off" : 30
}
],
"exchange_coupon_list" : [
{
"threshold" : 10000,
"exchange_price" : 100
}
],
"special_first" : false
},
"usage_rule_display_info" : {
"coupon_usage_method_list" : [
"MINI_PROGRAM"
],
"mini_program_appid" : "wx1234567890",
"mini_program_path" : "/pages/index/product",
"app_path" : "https://www.example.com/jump-to-app",
"usage_description" : "全场可用",
"coupon_available_store_info" : {
"description" : "可在上海市区的所有门店使用,详细列表参考小程序内信息为准",
"mini_program_appid" : "wx1234567890",
"mini_program_path" : "/pages/index/store-list"
}
},
"coupon_display_info" : {
"code_display_mode" : "QRCODE",
"background_color" : "Color010",
"entrance_mini_program" : {
"appid" : "wx1234567890",
"path" : "/pages/index/product",
"entrance_wording" : "欢迎选购",
"guidance_wording" : "获取更多优惠"
},
"entrance_official_account" : {
"appid" : "wx1234567890"
},
"entrance_finder" : {
"finder_id" : "gh_12345678",
"finder_video_id" : "UDFsdf24df34dD456Hdf34",
"finder_video_cover_image_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"
}
},
"notify_config" : {
"notify_appid" : "wx4fd12345678"
},
"store_scope" : "SPECIFIC",
"sent_count_info" : {
"total_count" : 100,
"today_count" : 10
},
"state" : "SENDING",
"deactivate_request_no" : "1002600620019090123143254436",
"deactivate_time" : "2025-01-01T00:00+08:00",
"deactivate_reason" : "批次信息有误,重新创建",
"brand_id" : "120344"
},
"attach" : "example_attach",
"channel_custom_info" : "example_channel_custom_info",
"brand_id" : "120344"
}`

const stockAnswer = `{
"stock_name" : "8月1日活动券",
"belong_merchant" : "10000022",
"comment" : "xxx店使用",
"goods_name" : "xxx商品使用",
"stock_type" : "NORMAL",
"coupon_use_rule" : {
"coupon_available_time" : {
"available_begin_time" : "2015-05-20T13:29:35+08:00",
"available_end_time" : "2015-05-20T13:29:35+08:00",
"available_day_after_receive" : 3,
"available_week" : {
"week_day" : [
1
],
"available_day_time" : [
{
"begin_time" : 3600,
"end_time" : 86399
}
]
},
"irregulary_avaliable_time" : [
{
"begin_time" : "2015-05-20T13:29:35+08:00",
"end_time" : "2015-05-20T13:29:35+08:00"
}
],
"wait_days_after_receive" : 7
},
"fixed_normal_coupon" : {
"discount_amount" : 5,
"transaction_minimum" : 100
},
"discount_coupon" : {
"discount_percent" : 88,
"transaction_minimum" : 100
},
"exchange_coupon" : {
"exchange_price" : 100,
"transaction_minimum" : 100
},
"use_method" : "OFF_LINE",
"mini_programs_appid" : "wx23232232323",
"mini_programs_path" : "/path/index/index"
},
"stock_send_rule" : {
"max_amount" : 100000,
"max_coupons" : 100,
"max_coupons_per_user" : 5,
"max_amount_by_day" : 1000,
"max_coupons_by_day" : 100,
"natural_person_limit" : false,
"prevent_api_abuse" : false,
"transferable" : false,
"shareable" : false
},
"custom_entrance" : {
"mini_programs_info" : {
"mini_programs_appid" : "wx234545656765876",
"mini_programs_path" : "/path/index/index",
"entrance_words" : "欢迎选购",
"guiding_words" : "获取更多优惠"
},
"appid" : "wx324345hgfhfghfg",
"hall_id" : "233455656",
"store_id" : "233554655",
"code_display_mode" : "NOT_SHOW"
},
"display_pattern_info" : {
"description" : "xxx门店可用",
"merchant_logo_url" : "https://xxx",
"merchant_name" : "微信支付",
"background_color" : "xxxxx",
"coupon_image_url" : "图片cdn地址",
"finder_info" : {
"finder_id" : "sph6Rngt2T4RlUf",
"finder_video_id" : "export/UzFfAgtgekIEAQAAAAAAb4MgnPInmAAAAAstQy6ubaLX4KHWvLEZgBPEwIEgVnk9HIP-zNPgMJofG6tpdGPJNg_ojtEjoT94",
"finder_video_cover_image_url" : "https://wxpaylogo.qpic.cn/xxx"
}
},
"stock_state" : "UNAUDIT",
"coupon_code_mode" : "WECHATPAY_MODE",
"stock_id" : "1212",
"coupon_code_count" : {
"total_count" : 100,
"available_count" : 50
},
"notify_config" : {
"notify_appid" : "wx23232232323"
},
"send_count_information" : {
"total_send_num" : 1,
"total_send_amount" : 34,
"today_send_num" : 1,
"today_send_amount" : 34
},
"subsidy" : false
}`

const pcUpdateAnswer = `{
"product_coupon_id" : "1000000013",
"scope" : "ALL",
"type" : "DISCOUNT",
"usage_mode" : "SINGLE",
"single_usage_info" : {
"discount_coupon" : {
"threshold" : 10000,
"percent_off" : 20
}
},
"display_info" : {
"name" : "全场满100立打8折-新名字",
"image_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
"background_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
"detail_image_url_list" : [
"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"
]
},
"state" : "EFFECTIVE",
"out_product_no" : "Product_1234567890",
"brand_id" : "120344"
}`

const busifavorUseAnswer = `{
"stock_id": "100088",
"openid": "dsadas34345454545",
"wechatpay_use_time": "2015-05-20T13:29:35+08:00"
}`
