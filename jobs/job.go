package jobs

import (
	"encoding/json"
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
	// Priority orders jobs of one merchant account and type: 1 is the most
	// urgent, 5 is bulk work; 0 (omitted) means the default, 3.
	Priority int `json:"priority,omitempty"`
	// FairnessKey groups jobs (a campaign id, a brand id) that share their
	// flow's budget in turn with other keys: 1-64 characters of
	// [0-9A-Za-z_.:-]; empty forms a group of its own.
	FairnessKey string `json:"fairness_key,omitempty"`
}

// freeFormID is the alphabet of ids that are not request numbers.
var freeFormID = regexp.MustCompile(`^[0-9A-Za-z_.:-]{1,64}$`)
