package wechat

import (
	"fmt"
	"net/http"
	"strings"
)

// Operation names one of the four API calls; the string equals the couponq
// job type (see CONTRACT.md).
type Operation string

// The four operations, in the order Operations returns them.
const (
	// OpBusifavorUse is POST /v3/marketing/busifavor/coupons/use.
	OpBusifavorUse Operation = "busifavor.use"
	// OpBusifavorStockGet is GET /v3/marketing/busifavor/stocks/{stock_id}.
	OpBusifavorStockGet Operation = "busifavor.stock.get"
	// OpProductCouponUse is
	// POST /v3/marketing/partner/product-coupon/users/{openid}/coupons/{coupon_code}/use.
	OpProductCouponUse Operation = "product_coupon.use"
	// OpProductCouponUpdate is
	// PATCH /v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}.
	OpProductCouponUpdate Operation = "product_coupon.update"
)

// Operations returns all four operations, in the order of the constants.
// The slice is new on every call.
func Operations() []Operation {
	return []Operation{OpBusifavorUse, OpBusifavorStockGet, OpProductCouponUse, OpProductCouponUpdate}
}

// ParseOperation returns the Operation whose string is s, or an error naming s
// and the known operations.
func ParseOperation(s string) (Operation, error) {
	for _, op := range Operations() {
		if string(op) == s {
			return op, nil
		}
	}
	return "", fmt.Errorf("wechat: unknown operation %q (known: %s)", s, OperationNames())
}

// OperationNames lists the operations for messages: "busifavor.use,
// busifavor.stock.get, product_coupon.use, product_coupon.update".
func OperationNames() string {
	names := make([]string, 0, 4)
	for _, op := range Operations() {
		names = append(names, string(op))
	}
	return strings.Join(names, ", ")
}

// Method is the HTTP method of the call: "POST", "GET" or "PATCH"; "" for an
// unknown operation.
func (op Operation) Method() string {
	switch op {
	case OpBusifavorUse, OpProductCouponUse:
		return http.MethodPost
	case OpBusifavorStockGet:
		return http.MethodGet
	case OpProductCouponUpdate:
		return http.MethodPatch
	}
	return ""
}

// PathTemplate is the documented request path with its {placeholders}, for
// example "/v3/marketing/busifavor/stocks/{stock_id}"; "" for an unknown
// operation.
func (op Operation) PathTemplate() string {
	switch op {
	case OpBusifavorUse:
		return "/v3/marketing/busifavor/coupons/use"
	case OpBusifavorStockGet:
		return "/v3/marketing/busifavor/stocks/{stock_id}"
	case OpProductCouponUse:
		return "/v3/marketing/partner/product-coupon/users/{openid}/coupons/{coupon_code}/use"
	case OpProductCouponUpdate:
		return "/v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}"
	}
	return ""
}

// DocumentedLimit is the per-merchant request rate the documents state, in
// requests per second: 500 for busifavor.use, 20 for product_coupon.update and
// 0 (not documented; configure one) for the other two.
func (op Operation) DocumentedLimit() int {
	switch op {
	case OpBusifavorUse:
		return 500
	case OpProductCouponUpdate:
		return 20
	}
	return 0
}

// AssumedLimit is the per-merchant request rate to assume for op when none
// is configured: the documented limit, or, where the documents state none,
// couponq's conservative choice (100/s for product_coupon.use, 50/s for
// busifavor.stock.get) that the adaptive limiter lowers on 429s. The limiter
// defaults, the config defaults and the sandbox's defaults all come from here.
func (op Operation) AssumedLimit() int {
	if n := op.DocumentedLimit(); n > 0 {
		return n
	}
	switch op {
	case OpProductCouponUse:
		return 100
	case OpBusifavorStockGet:
		return 50
	}
	return 0
}

// RateLimitCode is the error code the API answers with HTTP 429:
// "FREQUENCY_LIMITED" for the busifavor calls, "RATELIMIT_EXCEEDED" for the
// product coupon calls. Classify treats any 429 as rate limited regardless.
func (op Operation) RateLimitCode() string {
	switch op {
	case OpBusifavorUse, OpBusifavorStockGet:
		return "FREQUENCY_LIMITED"
	case OpProductCouponUse, OpProductCouponUpdate:
		return "RATELIMIT_EXCEEDED"
	}
	return ""
}

// String returns the job type string.
func (op Operation) String() string { return string(op) }
