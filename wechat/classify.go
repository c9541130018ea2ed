package wechat

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/couponq/couponq/wechat/marketing"
)

// Class tells the worker what to do with a failed call.
type Class int

// The classes, in increasing order of hope.
const (
	// ClassPermanent: do not retry with the same request.
	ClassPermanent Class = iota
	// ClassRetryable: retry the same request (same number, same body) later:
	// 5xx, busifavor's 400 SYSTEM_ERROR, transport errors, UnverifiedError.
	ClassRetryable
	// ClassRateLimited: any 429 (RATELIMIT_EXCEEDED or FREQUENCY_LIMITED);
	// retry the same request after slowing down.
	ClassRateLimited
)

// String returns "permanent", "retryable" or "rate_limited".
func (c Class) String() string {
	switch c {
	case ClassPermanent:
		return "permanent"
	case ClassRetryable:
		return "retryable"
	case ClassRateLimited:
		return "rate_limited"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Classify says whether a Client.Do error is worth retrying. From the
// documents' error tables:
//
//   - HTTP 429, whatever the code, and the codes RATELIMIT_EXCEEDED and
//     FREQUENCY_LIMITED with any status: ClassRateLimited;
//   - HTTP 5xx; HTTP 400 SYSTEM_ERROR (busifavor: "retry later with the same
//     parameters"); *TransportError; *UnverifiedError (the call may have
//     taken effect); context deadline: ClassRetryable;
//   - every other 4xx (PARAM_ERROR, INVALID_REQUEST, SIGN_ERROR, NO_AUTH,
//     NOT_ENOUGH, NOT_FOUND, RESOURCE_NOT_EXISTS, ...), *marketing.ValidationError,
//     *marketing.DecodeError, ErrUnknownMerchant, context cancellation and anything
//     unknown: ClassPermanent.
//
// Classify(nil) is ClassPermanent; it is never meaningful to ask.
func Classify(err error) Class {
	if err == nil {
		return ClassPermanent
	}
	var (
		apiErr *APIError
		unv    *UnverifiedError
		tr     *TransportError
	)
	switch {
	case errors.As(err, &apiErr):
		return classifyAPI(apiErr.StatusCode, apiErr.Code)
	case errors.As(err, &unv), errors.As(err, &tr):
		return ClassRetryable
	case errors.Is(err, context.DeadlineExceeded):
		return ClassRetryable
	}
	return ClassPermanent
}

func classifyAPI(status int, code string) Class {
	switch {
	case status == http.StatusTooManyRequests, code == "RATELIMIT_EXCEEDED", code == "FREQUENCY_LIMITED":
		return ClassRateLimited
	case status >= 500:
		return ClassRetryable
	case status == http.StatusBadRequest && code == "SYSTEM_ERROR":
		return ClassRetryable
	}
	return ClassPermanent
}

// ErrorCode is the code to put in a failed job's result: the API's code for
// *APIError ("HTTP_<status>" when the body had none), "RESPONSE_UNVERIFIED"
// for *UnverifiedError, "NETWORK_ERROR" for *TransportError and context
// deadlines, "INVALID_REQUEST" for *marketing.ValidationError and *marketing.DecodeError,
// "UNKNOWN_MERCHANT" for ErrUnknownMerchant, "CANCELED" for context
// cancellation and "INTERNAL_ERROR" otherwise. Never "" for a non-nil error;
// "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var (
		apiErr *APIError
		unv    *UnverifiedError
		tr     *TransportError
		ve     *marketing.ValidationError
		de     *marketing.DecodeError
	)
	switch {
	case errors.As(err, &apiErr):
		if apiErr.Code != "" {
			return apiErr.Code
		}
		return "HTTP_" + strconv.Itoa(apiErr.StatusCode)
	case errors.As(err, &unv):
		return "RESPONSE_UNVERIFIED"
	case errors.As(err, &tr):
		return "NETWORK_ERROR"
	case errors.As(err, &ve), errors.As(err, &de):
		return "INVALID_REQUEST"
	case errors.Is(err, ErrUnknownMerchant):
		return "UNKNOWN_MERCHANT"
	case errors.Is(err, context.DeadlineExceeded):
		return "NETWORK_ERROR"
	case errors.Is(err, context.Canceled):
		return "CANCELED"
	}
	return "INTERNAL_ERROR"
}
