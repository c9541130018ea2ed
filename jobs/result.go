package jobs

import (
	"encoding/json"
	"time"
)

// Status is a job's final outcome.
type Status string

// The two outcomes; each is also the last token of the result subject.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
)

// Worker-side error codes (the API's own codes are passed through as they are).
const (
	// CodeInvalidJob: the job could not be decoded or broke the field rules;
	// nothing was sent to the API.
	CodeInvalidJob = "INVALID_JOB"
	// CodeRetriesExhausted: a retryable error persisted past the attempt or
	// time budget; the last error is in the message.
	CodeRetriesExhausted = "RETRIES_EXHAUSTED"
	// CodeResponseUnverified: a 2xx whose signature did not verify, even after
	// retries; the call may have taken effect.
	CodeResponseUnverified = "RESPONSE_UNVERIFIED"
	// CodePanic: handling the job panicked in the worker on every attempt
	// (a bug in couponq, reported with the panic's message). The call may
	// have taken effect; re-enqueueing after a fix is safe (same request
	// number).
	CodePanic = "PANIC"
)

// Result is the one outcome published per job.
type Result struct {
	ID         string          `json:"id"`
	Type       Type            `json:"type"`
	MchID      string          `json:"mchid"`
	Status     Status          `json:"status"`
	Attempts   int             `json:"attempts"`
	HTTPStatus int             `json:"http_status"`
	RequestID  string          `json:"request_id"`
	Response   json.RawMessage `json:"response"`
	Error      *ResultError    `json:"error"`
	Meta       json.RawMessage `json:"meta,omitempty"`
	EnqueuedAt time.Time       `json:"enqueued_at"`
	FinishedAt time.Time       `json:"finished_at"`
	Worker     string          `json:"worker"`
	// Replay is 0 for a job's first run and N for the run replayed from
	// dead letter N (its sequence in the dead-letter stream); such a result
	// has the message id ReplayMsgID(type, id, N).
	Replay uint64 `json:"replay,omitempty"`
}

// ResultError says why a job failed.
type ResultError struct {
	// Code is the API's error code (NOT_ENOUGH, RESOURCE_NOT_EXISTS, ...) or
	// one of the worker's own (CodeInvalidJob, CodeRetriesExhausted,
	// CodeResponseUnverified, CodePanic).
	Code string `json:"code"`
	// Message is a human-readable explanation.
	Message string `json:"message"`
	// Retryable says whether re-enqueueing the same job later may succeed.
	Retryable bool `json:"retryable"`
}

// Succeeded reports whether the job succeeded.
func (r *Result) Succeeded() bool { return r.Status == StatusSucceeded }

// DecodeResult parses a result message body.
func DecodeResult(data []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
