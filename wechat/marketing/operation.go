package marketing

import (
	"fmt"
	"net/http"
	"strings"
)

// Operation names one of the API calls; the string equals the couponq job
// type (see docs/contract.md).
type Operation string

// The operations couponq calls, in the order of the table (Operations).
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

// Spec is everything couponq knows about one operation that is data rather
// than code. The table of specs (specs, below) is the one place an operation
// is listed: adding a job type is one entry here plus its request type (with
// its field rules) and its sandbox handler.
type Spec struct {
	// Op is the operation, equal to the job type.
	Op Operation
	// Method is the HTTP method: "POST", "GET" or "PATCH".
	Method string
	// PathTemplate is the documented path with its {placeholders}.
	PathTemplate string
	// DocumentedLimit is the per-merchant rate the documents state, in
	// requests per second; 0 when they state none.
	DocumentedLimit int
	// AssumedLimit is the rate to assume when none is configured: the
	// documented one, or couponq's conservative choice that the adaptive
	// limiter lowers on 429s. Config, limiter and sandbox defaults read it.
	AssumedLimit int
	// RateLimitCode is the error code the API answers with HTTP 429.
	RateLimitCode string
	// UsesUseTime: the request carries use_time, which producers fill with
	// the time of the business event when it is missing.
	UsesUseTime bool
	// Concurrency is the default bound on jobs one worker holds at once for
	// one merchant account and this type.
	Concurrency int
	// newRequest returns an empty typed request.
	newRequest func() Request
	// example returns the documents' example.
	example func() Example
}

// specs is the operation table.
var specs = []Spec{
	{
		Op: OpBusifavorUse, Method: http.MethodPost,
		PathTemplate:    "/v3/marketing/busifavor/coupons/use",
		DocumentedLimit: 500, AssumedLimit: 500, RateLimitCode: "FREQUENCY_LIMITED",
		UsesUseTime: true, Concurrency: 32,
		newRequest: func() Request { return &BusifavorUseRequest{} },
		example:    func() Example { return Example{docBusifavorUse(), busifavorUseAnswer} },
	},
	{
		Op: OpBusifavorStockGet, Method: http.MethodGet,
		PathTemplate:  "/v3/marketing/busifavor/stocks/{stock_id}",
		AssumedLimit:  50,
		RateLimitCode: "FREQUENCY_LIMITED",
		Concurrency:   4,
		newRequest:    func() Request { return &BusifavorStockGetRequest{} },
		example:       func() Example { return Example{docStockGet(), stockAnswer} },
	},
	{
		Op: OpProductCouponUse, Method: http.MethodPost,
		PathTemplate:  "/v3/marketing/partner/product-coupon/users/{openid}/coupons/{coupon_code}/use",
		AssumedLimit:  100,
		RateLimitCode: "RATELIMIT_EXCEEDED",
		UsesUseTime:   true, Concurrency: 16,
		newRequest: func() Request { return &ProductCouponUseRequest{} },
		example:    func() Example { return Example{docPCUse(), pcUseAnswer} },
	},
	{
		Op: OpProductCouponUpdate, Method: http.MethodPatch,
		PathTemplate:    "/v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}",
		DocumentedLimit: 20, AssumedLimit: 20, RateLimitCode: "RATELIMIT_EXCEEDED",
		Concurrency: 4,
		newRequest:  func() Request { return &ProductCouponUpdateRequest{} },
		example:     func() Example { return Example{docPCUpdate(), pcUpdateAnswer} },
	},
}

// Operations returns every operation, in the order of the table. The slice is
// new on every call.
func Operations() []Operation {
	out := make([]Operation, len(specs))
	for i := range specs {
		out[i] = specs[i].Op
	}
	return out
}

// Specs returns a copy of the operation table.
func Specs() []Spec { return append([]Spec(nil), specs...) }

// Lookup returns op's spec; ok is false for an unknown operation.
func Lookup(op Operation) (spec Spec, ok bool) {
	for i := range specs {
		if specs[i].Op == op {
			return specs[i], true
		}
	}
	return Spec{}, false
}

// ParseOperation returns the Operation whose string is s, or an error naming s
// and the known operations.
func ParseOperation(s string) (Operation, error) {
	if _, ok := Lookup(Operation(s)); ok {
		return Operation(s), nil
	}
	return "", fmt.Errorf("unknown operation %q (known: %s)", s, OperationNames())
}

// OperationNames lists the operations for messages: "busifavor.use,
// busifavor.stock.get, product_coupon.use, product_coupon.update".
func OperationNames() string {
	names := make([]string, 0, len(specs))
	for i := range specs {
		names = append(names, string(specs[i].Op))
	}
	return strings.Join(names, ", ")
}

// NewRequest returns a new, empty typed request for op (for example
// *ProductCouponUseRequest for OpProductCouponUse), or nil for an unknown op.
func NewRequest(op Operation) Request {
	if s, ok := Lookup(op); ok {
		return s.newRequest()
	}
	return nil
}

// DocExample returns the documents' example for op; the zero Example for an
// unknown op.
func DocExample(op Operation) Example {
	if s, ok := Lookup(op); ok {
		return s.example()
	}
	return Example{}
}

// Method is the HTTP method of the call; "" for an unknown operation.
func (op Operation) Method() string { s, _ := Lookup(op); return s.Method }

// PathTemplate is the documented request path with its {placeholders}; ""
// for an unknown operation.
func (op Operation) PathTemplate() string { s, _ := Lookup(op); return s.PathTemplate }

// DocumentedLimit is the per-merchant rate the documents state (requests per
// second), 0 when they state none or op is unknown.
func (op Operation) DocumentedLimit() int { s, _ := Lookup(op); return s.DocumentedLimit }

// AssumedLimit is the per-merchant rate to assume for op when none is
// configured (see Spec.AssumedLimit); 0 for an unknown operation.
func (op Operation) AssumedLimit() int { s, _ := Lookup(op); return s.AssumedLimit }

// RateLimitCode is the error code the API answers with HTTP 429:
// "FREQUENCY_LIMITED" for the busifavor calls, "RATELIMIT_EXCEEDED" for the
// product coupon calls. Classification treats any 429 as rate limited.
func (op Operation) RateLimitCode() string { s, _ := Lookup(op); return s.RateLimitCode }

// UsesUseTime reports whether op's request carries use_time.
func (op Operation) UsesUseTime() bool { s, _ := Lookup(op); return s.UsesUseTime }

// String returns the job type string.
func (op Operation) String() string { return string(op) }
