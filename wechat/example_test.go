package wechat_test

import (
	"errors"
	"fmt"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/couponq/couponq/wechat"
)

// A job's request object decodes strictly; Validate then reports every broken
// field rule at once.
func ExampleDecodeRequest() {
	raw := []byte(`{
	  "product_coupon_id": "1000000013",
	  "out_request_no": "12345",
	  "display_info": {"name": "新券", "image_url": "https://img/1", "background_url": "https://img/2"},
	  "brand_id": "120344"
	}`)
	req, err := marketing.DecodeRequest(marketing.OpProductCouponUpdate, raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = req.Validate()
	var ve *marketing.ValidationError
	fmt.Println(errors.As(err, &ve), wechat.ErrorCode(err), wechat.Classify(err))
	fmt.Println(err)
	// Output:
	// true INVALID_REQUEST permanent
	// out_request_no: must be 6-40 characters, got 5
	// display_info.name: must be 3-15 characters, got 2
}

// Decoding errors name the field by its JSON path.
func ExampleDecodeRequest_wrongType() {
	_, err := marketing.DecodeRequest(marketing.OpProductCouponUpdate, []byte(`{"display_info": {"name": 12}}`))
	fmt.Println(err)
	_, err = marketing.DecodeRequest(marketing.OpBusifavorUse, []byte(`{"coupon_code": "a", "coupon": "b"}`))
	fmt.Println(err)
	// Output:
	// request.display_info.name: expected string, got number
	// request.coupon: unknown field
}

// Path parameters travel in the path, escaped, and never in the body.
func ExampleProductCouponUseRequest_Body() {
	zero := int64(0)
	req := &marketing.ProductCouponUseRequest{
		OpenID:                "oh-394z-6CGkNoJrsDLTTUKiAnp4",
		CouponCode:            "123446565767",
		ProductCouponID:       "1000000013",
		StockID:               "1000000013001",
		AppID:                 "wx233544546545989",
		UseTime:               "2025-07-24T00:00:00+08:00",
		AssociatedOrderInfo:   &marketing.AssociatedOrderInfo{TransactionID: "4200000000123456789123456789"},
		OutRequestNo:          "34657_20250101_123456",
		SequentialCouponIndex: &zero,
		BrandID:               "120344",
	}
	body, _ := req.Body()
	fmt.Println(req.Validate())
	fmt.Println(req.Path())
	fmt.Println(string(body))
	// Output:
	// <nil>
	// /v3/marketing/partner/product-coupon/users/oh-394z-6CGkNoJrsDLTTUKiAnp4/coupons/123446565767/use
	// {"product_coupon_id":"1000000013","stock_id":"1000000013001","appid":"wx233544546545989","use_time":"2025-07-24T00:00:00+08:00","associated_order_info":{"transaction_id":"4200000000123456789123456789"},"out_request_no":"34657_20250101_123456","sequential_coupon_index":0,"brand_id":"120344"}
}

// Classify tells the worker what to do with a failure.
func ExampleClassify() {
	for _, err := range []error{
		&wechat.APIError{StatusCode: 429, Code: "FREQUENCY_LIMITED"},
		&wechat.APIError{StatusCode: 400, Code: "SYSTEM_ERROR"},
		&wechat.APIError{StatusCode: 403, Code: "NOT_ENOUGH"},
		&wechat.UnverifiedError{StatusCode: 200, Reason: "probe signature"},
	} {
		fmt.Println(wechat.ErrorCode(err), wechat.Classify(err))
	}
	// Output:
	// FREQUENCY_LIMITED rate_limited
	// SYSTEM_ERROR retryable
	// NOT_ENOUGH permanent
	// RESPONSE_UNVERIFIED retryable
}
