package jobs

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// Job is the message body published to couponq.jobs.<type>.
type Job struct {
	// ID is the idempotency key. For *.use and *.update jobs it is the
	// request's own request number (use_request_no or out_request_no) and may
	// be omitted; for busifavor.stock.get it is required and free-form
	// (1-64 characters of [0-9A-Za-z_.:-]).
	ID string `json:"id,omitempty"`
	// MchID chooses the configured merchant account; optional when only one
	// account is configured.
	MchID string `json:"mchid,omitempty"`
	// Request holds the API's fields (snake_case), path parameters included.
	Request json.RawMessage `json:"request"`
	// Meta is opaque to couponq and echoed unchanged into the result.
	Meta json.RawMessage `json:"meta,omitempty"`
	// Priority is 1 (most urgent) to 5 (bulk work); 0 or absent means
	// DefaultPriority. Within one merchant account and job type, a pending
	// job of a more urgent priority is sent before less urgent ones.
	Priority int `json:"priority,omitempty"`
	// FairnessKey (1-64 characters of [0-9A-Za-z_.:-], for example a
	// campaign or brand id) groups jobs: within one merchant account, job
	// type and priority, groups share the rate budget in turn. Jobs without
	// a key form one group of their own.
	FairnessKey string `json:"fairness_key,omitempty"`
}

// Priorities: MostUrgent is 1, LeastUrgent (bulk) is 5, DefaultPriority 3.
const (
	MostUrgent      = 1
	DefaultPriority = 3
	LeastUrgent     = 5
)

// EffectivePriority is the job's priority with the default applied.
func (j *Job) EffectivePriority() int {
	if j.Priority == 0 {
		return DefaultPriority
	}
	return j.Priority
}

// ValidPriority reports whether p is a job's priority as the contract
// allows it: 0 (the default) or MostUrgent to LeastUrgent.
func ValidPriority(p int) bool { return p == 0 || p >= MostUrgent && p <= LeastUrgent }

// ValidFairnessKey reports whether k is a fairness key as the contract
// allows it: empty (no key) or 1-64 characters of [0-9A-Za-z_.:-].
func ValidFairnessKey(k string) bool { return k == "" || freeFormID.MatchString(k) }

// checkScheduling validates priority and fairness_key.
func checkScheduling(j *Job) error {
	if !ValidPriority(j.Priority) {
		return &InvalidJobError{Field: "priority", Reason: fmt.Sprintf("must be an integer from %d (most urgent) to %d, got %d", MostUrgent, LeastUrgent, j.Priority)}
	}
	if !ValidFairnessKey(j.FairnessKey) {
		return &InvalidJobError{Field: "fairness_key", Reason: "must be 1-64 characters of [0-9A-Za-z_.:-]"}
	}
	return nil
}

// freeFormID is the alphabet of ids that are not request numbers.
var freeFormID = regexp.MustCompile(`^[0-9A-Za-z_.:-]{1,64}$`)
