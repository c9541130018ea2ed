package jobs

import "strings"

// Dead-letter headers: why a job failed, stored next to its original bytes
// on couponq.dlq.<type>.
const (
	// HeaderErrorCode is the result's error code (the API's or the worker's).
	HeaderErrorCode = "Couponq-Error-Code"
	// HeaderErrorMessage is the result's error message, on one line.
	HeaderErrorMessage = "Couponq-Error-Message"
	// HeaderJobSubject is the subject the job was published to.
	HeaderJobSubject = "Couponq-Job-Subject"
	// HeaderJobSequence is the job's sequence in the jobs stream.
	HeaderJobSequence = "Couponq-Job-Sequence"
	// HeaderAttempts is the delivery number of the final processing.
	HeaderAttempts = "Couponq-Attempts"
	// HeaderWorker names the worker that settled the job.
	HeaderWorker = "Couponq-Worker"
	// HeaderRequestID is the API's Request-ID of the last attempt, if any.
	HeaderRequestID = "Couponq-Request-Id"
	// HeaderFailedAt is when the job was settled (RFC3339 with nanoseconds).
	HeaderFailedAt = "Couponq-Failed-At"
	// HeaderFailureClass is FailureClass(code): ClassOperational or
	// ClassRejected. Dead letters written before it existed lack it;
	// readers then compute it from HeaderErrorCode.
	HeaderFailureClass = "Couponq-Failure-Class"
	// HeaderReplayOf is set on a job republished from a dead letter: the
	// dead letter's sequence in the dead-letter stream.
	HeaderReplayOf = "Couponq-Replay-Of"
)

// The two failure classes of a dead letter.
const (
	// ClassOperational: the job needs an operator (an outage outlasted the
	// retries, a response could not be verified, the job or the setup is
	// wrong). Replay it once the cause is fixed.
	ClassOperational = "operational"
	// ClassRejected: the API gave a final business answer (coupon already
	// used, not found, stock exhausted...). Replaying gives the same answer.
	ClassRejected = "rejected"
)

// operationalAPICodes are API error codes that say couponq's own setup or
// request is at fault, not the coupon: an operator must act.
var operationalAPICodes = map[string]bool{
	"SIGN_ERROR":            true, // wrong merchant key or serial
	"NO_AUTH":               true, // the account lacks the product permission
	"PARAM_ERROR":           true, // a field the API's format refused
	"APPID_MCHID_NOT_MATCH": true,
	"MCH_NOT_EXISTS":        true,
}

// workerCodes are the error codes couponq itself assigns (beyond the three
// Code* constants), see wechat.ErrorCode.
var workerCodes = map[string]bool{
	CodeInvalidJob:         true,
	CodeRetriesExhausted:   true,
	CodeResponseUnverified: true,
	"NETWORK_ERROR":        true,
	"UNKNOWN_MERCHANT":     true,
	"CANCELED":             true,
	"INTERNAL_ERROR":       true,
}

// FailureClass says whether a failed job with this error code needs an
// operator (ClassOperational: every worker code such as RETRIES_EXHAUSTED,
// RESPONSE_UNVERIFIED and INVALID_JOB, a bare HTTP_<status>, and the API
// codes that blame couponq's setup such as SIGN_ERROR) or is a final
// business answer of the API (ClassRejected: NOT_FOUND,
// RESOURCE_ALREADY_EXISTS, NOT_ENOUGH and every other API code). An empty
// code is operational.
func FailureClass(code string) string {
	switch {
	case code == "", workerCodes[code], operationalAPICodes[code], strings.HasPrefix(code, "HTTP_"):
		return ClassOperational
	}
	return ClassRejected
}
