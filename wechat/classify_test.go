package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/assert"
)

// documentedErrors is every status/code pair of the documents' error tables
// (000/003 product coupons, 002 stock get, 004 busifavor use), with the class
// the worker must see.
var documentedErrors = []struct {
	doc    string
	op     marketing.Operation
	status int
	code   string
	want   Class
}{
	{"000", marketing.OpProductCouponUse, 400, "PARAM_ERROR", ClassPermanent},
	{"000", marketing.OpProductCouponUse, 400, "INVALID_REQUEST", ClassPermanent},
	{"000", marketing.OpProductCouponUse, 401, "SIGN_ERROR", ClassPermanent},
	{"000", marketing.OpProductCouponUse, 500, "SYSTEM_ERROR", ClassRetryable},
	{"000", marketing.OpProductCouponUse, 403, "NO_AUTH", ClassPermanent},
	{"000", marketing.OpProductCouponUse, 403, "NOT_ENOUGH", ClassPermanent},
	{"000", marketing.OpProductCouponUse, 404, "NOT_FOUND", ClassPermanent},
	{"000", marketing.OpProductCouponUse, 429, "RATELIMIT_EXCEEDED", ClassRateLimited},

	{"002", marketing.OpBusifavorStockGet, 400, "PARAM_ERROR", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 400, "INVALID_REQUEST", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 401, "SIGN_ERROR", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 500, "SYSTEM_ERROR", ClassRetryable},
	{"002", marketing.OpBusifavorStockGet, 400, "APPID_MCHID_NOT_MATCH", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 400, "MCH_NOT_EXISTS", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 400, "RESOURCE_ALREADY_EXISTS", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 400, "SYSTEM_ERROR", ClassRetryable},
	{"002", marketing.OpBusifavorStockGet, 403, "NO_AUTH", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 403, "RULE_LIMIT", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 404, "RESOURCE_NOT_EXISTS", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 404, "USER_NOT_EXISTS", ClassPermanent},
	{"002", marketing.OpBusifavorStockGet, 429, "FREQUENCY_LIMITED", ClassRateLimited},

	{"003", marketing.OpProductCouponUpdate, 400, "PARAM_ERROR", ClassPermanent},
	{"003", marketing.OpProductCouponUpdate, 400, "INVALID_REQUEST", ClassPermanent},
	{"003", marketing.OpProductCouponUpdate, 401, "SIGN_ERROR", ClassPermanent},
	{"003", marketing.OpProductCouponUpdate, 500, "SYSTEM_ERROR", ClassRetryable},
	{"003", marketing.OpProductCouponUpdate, 404, "NOT_FOUND", ClassPermanent},
	{"003", marketing.OpProductCouponUpdate, 429, "RATELIMIT_EXCEEDED", ClassRateLimited},

	{"004", marketing.OpBusifavorUse, 400, "PARAM_ERROR", ClassPermanent},
	{"004", marketing.OpBusifavorUse, 400, "SYSTEM_ERROR", ClassRetryable},
	{"004", marketing.OpBusifavorUse, 400, "RESOURCE_ALREADY_EXISTS", ClassPermanent},
	{"004", marketing.OpBusifavorUse, 404, "RESOURCE_NOT_EXISTS", ClassPermanent},
	{"004", marketing.OpBusifavorUse, 403, "NOAUTH", ClassPermanent},
	{"004", marketing.OpBusifavorUse, 400, "APPID_MCHID_NOT_MATCH", ClassPermanent},
	{"004", marketing.OpBusifavorUse, 400, "MCH_NOT_EXISTS", ClassPermanent},
	{"004", marketing.OpBusifavorUse, 404, "USER_NOT_EXISTS", ClassPermanent},
	{"004", marketing.OpBusifavorUse, 500, "SYSTEM_ERROR", ClassRetryable},
	{"004", marketing.OpBusifavorUse, 429, "FREQUENCY_LIMITED", ClassRateLimited},
	{"004", marketing.OpBusifavorUse, 403, "RULELIMIT", ClassPermanent},
	{"004", marketing.OpBusifavorUse, 400, "INVALID_REQUEST", ClassPermanent},
}

func TestClassifyDocumentedErrors(t *testing.T) {
	for _, tc := range documentedErrors {
		t.Run(fmt.Sprintf("%s/%d/%s", tc.doc, tc.status, tc.code), func(t *testing.T) {
			err := error(&APIError{Op: tc.op, StatusCode: tc.status, Code: tc.code, Message: "m", RequestID: "rid"})
			assert.Equal(t, tc.want, Classify(err))
			assert.Equal(t, tc.code, ErrorCode(err))
			wrapped := fmt.Errorf("job 42: %w", err)
			assert.Equal(t, tc.want, Classify(wrapped), "wrapped")
			assert.Equal(t, tc.code, ErrorCode(wrapped))
		})
	}
}

func TestClassifyOther(t *testing.T) {
	ve := errors.Join(&marketing.ValidationError{Field: "a", Rule: "r"}, &marketing.ValidationError{Field: "b", Rule: "r"})
	for _, tc := range []struct {
		name string
		err  error
		want Class
		code string
	}{
		{"429 any code", &APIError{StatusCode: 429, Code: "SOMETHING_NEW"}, ClassRateLimited, "SOMETHING_NEW"},
		{"429 no body", &APIError{StatusCode: 429}, ClassRateLimited, "HTTP_429"},
		{"rate code, odd status", &APIError{StatusCode: 403, Code: "FREQUENCY_LIMITED"}, ClassRateLimited, "FREQUENCY_LIMITED"},
		{"502 proxy page", &APIError{StatusCode: 502}, ClassRetryable, "HTTP_502"},
		{"503", &APIError{StatusCode: 503, Code: "SYSTEM_ERROR"}, ClassRetryable, "SYSTEM_ERROR"},
		{"undocumented 4xx", &APIError{StatusCode: 418}, ClassPermanent, "HTTP_418"},
		{"redirect", &APIError{StatusCode: 302}, ClassPermanent, "HTTP_302"},
		{"unverified", &UnverifiedError{StatusCode: 200, Reason: "x"}, ClassRetryable, "RESPONSE_UNVERIFIED"},
		{"transport", &TransportError{Host: "h", Err: io.ErrUnexpectedEOF}, ClassRetryable, "NETWORK_ERROR"},
		{"transport timeout", &TransportError{Host: "h", Err: context.DeadlineExceeded}, ClassRetryable, "NETWORK_ERROR"},
		{"validation", &marketing.ValidationError{Field: "a", Rule: "r"}, ClassPermanent, "INVALID_REQUEST"},
		{"validation joined", ve, ClassPermanent, "INVALID_REQUEST"},
		{"decode", &marketing.DecodeError{Problem: "p"}, ClassPermanent, "INVALID_REQUEST"},
		{"unknown merchant", fmt.Errorf("%w %q", ErrUnknownMerchant, "1"), ClassPermanent, "UNKNOWN_MERCHANT"},
		{"deadline", context.DeadlineExceeded, ClassRetryable, "NETWORK_ERROR"},
		{"canceled", context.Canceled, ClassPermanent, "CANCELED"},
		{"other", errors.New("boom"), ClassPermanent, "INTERNAL_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Classify(tc.err))
			assert.Equal(t, tc.code, ErrorCode(tc.err))
		})
	}
	assert.Equal(t, ClassPermanent, Classify(nil))
	assert.Equal(t, "", ErrorCode(nil))
	assert.Equal(t, "permanent", ClassPermanent.String())
	assert.Equal(t, "retryable", ClassRetryable.String())
	assert.Equal(t, "rate_limited", ClassRateLimited.String())
	assert.Equal(t, "Class(9)", Class(9).String())
}

func TestErrorMessages(t *testing.T) {
	e := &APIError{Op: marketing.OpProductCouponUse, StatusCode: 403, Code: "NOT_ENOUGH", Message: "用户券当前无法使用",
		Detail: json.RawMessage(`{"field":"coupon_code"}`), RequestID: "08F1"}
	assert.Equal(t, `wechat: product_coupon.use: HTTP 403 NOT_ENOUGH: 用户券当前无法使用 detail={"field":"coupon_code"} (Request-ID 08F1)`, e.Error())
	sign := &APIError{Op: marketing.OpBusifavorUse, StatusCode: 401, Code: "SIGN_ERROR", Message: "签名错误"}
	assert.Contains(t, sign.Error(), "check the merchant private key, certificate serial and the clock")
	u := &UnverifiedError{Op: marketing.OpBusifavorUse, StatusCode: 200, Reason: "probe", Err: io.EOF, RequestID: "r"}
	assert.Equal(t, "wechat: busifavor.use: HTTP 200 answer not verified: probe: EOF (Request-ID r); the call may have taken effect", u.Error())
	assert.ErrorIs(t, u, io.EOF)
	tr := &TransportError{Host: "https://api.mch.weixin.qq.com", Err: io.EOF}
	assert.Equal(t, "wechat: no answer from https://api.mch.weixin.qq.com: EOF", tr.Error())
	assert.ErrorIs(t, tr, io.EOF)
	assert.Equal(t, "request.display_info.name: expected string, got number", (&marketing.DecodeError{Field: "display_info.name", Problem: "expected string, got number"}).Error())
}
