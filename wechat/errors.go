package wechat

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/couponq/couponq/wechat/marketing"
)

// ErrUnknownMerchant is returned (wrapped, naming the mchid) by Client.Do for
// an mchid the client was not configured with. Nothing was sent.
var ErrUnknownMerchant = errors.New("wechat: unknown merchant")

// APIError is a non-2xx answer from WeChat Pay. Code, Message and Detail come
// from the documented error body {"code","message","detail"}; Code is "" when
// the body was not such an object (for example an HTML page from a proxy),
// ErrorCode then reports "HTTP_<status>". Non-2xx answers are not signature
// verified (the SDK does not verify them either).
type APIError struct {
	Op         marketing.Operation
	Host       string // base URL that answered
	StatusCode int
	Code       string
	Message    string
	Detail     json.RawMessage // the "detail" object when present
	RequestID  string          // the Request-ID header
	Header     http.Header
	Body       json.RawMessage // the body as returned (at most MaxResponseBytes)
}

// Error returns "wechat: <op>: HTTP <status> <code>: <message> ...", with a
// hint for 401 SIGN_ERROR, which usually means wrong merchant keys, a wrong
// certificate serial or a skewed clock.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wechat: %s: HTTP %d", e.Op, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Detail) > 0 {
		b.WriteString(" detail=" + string(e.Detail))
	}
	if e.StatusCode == http.StatusUnauthorized || e.Code == "SIGN_ERROR" {
		b.WriteString(" (WeChat Pay rejected our signature: check the merchant private key, certificate serial and the clock)")
	}
	if e.RequestID != "" {
		b.WriteString(" (Request-ID " + e.RequestID + ")")
	}
	return b.String()
}

// UnverifiedError is a 2xx answer whose signature did not verify: a probe
// signature (WECHATPAY/SIGNTEST/...), a stale or future timestamp, a serial
// other than the merchant's PublicKeyID, a missing header or a body that does
// not match the signature. The call may have taken effect, so it is retryable
// with the same request (the API de-duplicates on the request number).
type UnverifiedError struct {
	Op         marketing.Operation
	Host       string
	StatusCode int
	RequestID  string
	Reason     string
	Body       json.RawMessage
	Err        error // the verifier's error, when there is one
}

// Error describes the answer and why it was not trusted.
func (e *UnverifiedError) Error() string {
	s := fmt.Sprintf("wechat: %s: HTTP %d answer not verified: %s", e.Op, e.StatusCode, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.RequestID != "" {
		s += " (Request-ID " + e.RequestID + ")"
	}
	return s + "; the call may have taken effect"
}

// Unwrap returns the verifier's error.
func (e *UnverifiedError) Unwrap() error { return e.Err }

// TransportError is an attempt that got no HTTP answer: dial, TLS, timeout,
// connection reset, a body that could not be read, or the Pacer refusing to
// let the attempt start. A request may or may not have reached WeChat Pay.
type TransportError struct {
	Host string
	Err  error
}

// Error returns "wechat: no answer from <host>: <cause>".
func (e *TransportError) Error() string {
	return fmt.Sprintf("wechat: no answer from %s: %v", e.Host, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// errorBody is the documented error answer.
type errorBody struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail"`
}
