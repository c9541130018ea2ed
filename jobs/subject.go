package jobs

import (
	"fmt"
	"strings"

	"github.com/couponq/couponq/wechat/marketing"
)

// Type is a job type. Its string is the WeChat Pay operation it calls,
// for example "product_coupon.update".
type Type = marketing.Operation

// The four job types.
const (
	TypeBusifavorUse        = marketing.OpBusifavorUse
	TypeBusifavorStockGet   = marketing.OpBusifavorStockGet
	TypeProductCouponUse    = marketing.OpProductCouponUse
	TypeProductCouponUpdate = marketing.OpProductCouponUpdate
)

// Types lists every job type.
func Types() []Type { return marketing.Operations() }

// ParseType returns the job type named s, or an error naming the known ones.
func ParseType(s string) (Type, error) {
	t, err := marketing.ParseOperation(s)
	if err != nil {
		return "", fmt.Errorf("unknown job type %q (known: %s): %w", s, marketing.OperationNames(), err)
	}
	return t, nil
}

// Subject prefixes and stream names of the contract.
const (
	// JobSubjectPrefix is followed by the job type.
	JobSubjectPrefix = "couponq.jobs."
	// ResultSubjectPrefix is followed by "<type>.succeeded" or "<type>.failed".
	ResultSubjectPrefix = "couponq.results."
	// DLQSubjectPrefix is followed by the job type.
	DLQSubjectPrefix = "couponq.dlq."

	// JobsStream captures couponq.jobs.> (work-queue retention).
	JobsStream = "COUPONQ_JOBS"
	// ResultsStream captures couponq.results.> (limits retention).
	ResultsStream = "COUPONQ_RESULTS"
	// DLQStream captures couponq.dlq.> (limits retention).
	DLQStream = "COUPONQ_DLQ"
)

// JobSubject is the subject jobs of type t are published to.
func JobSubject(t Type) string { return JobSubjectPrefix + string(t) }

// ResultSubject is the subject a result with the given status is published to.
func ResultSubject(t Type, s Status) string { return ResultSubjectPrefix + string(t) + "." + string(s) }

// DLQSubject is the subject dead letters of type t are published to.
func DLQSubject(t Type) string { return DLQSubjectPrefix + string(t) }

// TypeFromSubject extracts the job type from a couponq.jobs.<type> subject.
// The type is returned even when it is unknown, so the caller can report it;
// ok is false when the subject is not a job subject at all.
func TypeFromSubject(subject string) (t string, ok bool) {
	if !strings.HasPrefix(subject, JobSubjectPrefix) {
		return "", false
	}
	return strings.TrimPrefix(subject, JobSubjectPrefix), true
}

// MsgID is the Nats-Msg-Id of a job, its result and its dead letter: "<type>/<id>".
func MsgID(t Type, id string) string { return string(t) + "/" + id }

// IDFromMsgID returns the id part of a "<type>/<id>" message id, or "" when
// msgID does not have that form.
func IDFromMsgID(msgID string) string {
	i := strings.Index(msgID, "/")
	if i < 0 || i == len(msgID)-1 {
		return ""
	}
	return msgID[i+1:]
}
