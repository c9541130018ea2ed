package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/couponq/couponq/wechat/marketing"
)

// InvalidJobError says why a job cannot be processed: it could not be
// decoded, or it broke the contract or the API's field rules. Nothing is sent
// to the API for such a job; the worker reports it with code INVALID_JOB.
type InvalidJobError struct {
	// Field is the JSON path of the offending field ("request.use_time"), or
	// "" when the problem is with the message as a whole.
	Field string
	// Reason says what is wrong.
	Reason string
	// Err is the underlying error, if any (for example a *marketing.ValidationError).
	Err error
}

func (e *InvalidJobError) Error() string {
	if e.Field == "" {
		return "invalid job: " + e.Reason
	}
	return "invalid job: " + e.Field + ": " + e.Reason
}

// Unwrap returns the underlying error.
func (e *InvalidJobError) Unwrap() error { return e.Err }

// Decoded is a job that passed decoding and validation.
type Decoded struct {
	Job
	// Type is the job's type.
	Type Type
	// Req is the typed API request, validated.
	Req marketing.Request
}

// Decode parses and validates a job body of type t. Every error is an
// *InvalidJobError (possibly several joined) that names the field. It checks
// the envelope, decodes request strictly into the API's typed request (unknown
// fields are errors), applies the documents' field rules, and derives or
// checks the id against the request number.
func Decode(t Type, data []byte) (*Decoded, error) {
	if err := checkFaithful(data); err != nil {
		return nil, err
	}
	var job Job
	if !decodeStrictFast(data, &job) { // well-formed: one pass (decode_fast.go)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&job); err != nil {
			return nil, &InvalidJobError{Reason: "body is not a valid job object: " + jsonProblem(err), Err: err}
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, &InvalidJobError{Reason: "trailing data after the job object"}
		}
	}
	if err := checkScheduling(&job); err != nil {
		return nil, err
	}
	if len(job.Request) == 0 || bytes.Equal(job.Request, []byte("null")) {
		return nil, &InvalidJobError{Field: "request", Reason: "is required"}
	}
	req, err := marketing.DecodeRequest(t, job.Request)
	if err != nil {
		return nil, requestDecodeProblem(err)
	}
	if err := req.Validate(); err != nil {
		return nil, validationProblems(err)
	}
	if err := reconcileID(&job, req); err != nil {
		return nil, err
	}
	return &Decoded{Job: job, Type: t, Req: req}, nil
}

// reconcileID derives the id from the request number or checks that they agree.
func reconcileID(job *Job, req marketing.Request) error {
	no := req.RequestNo()
	switch {
	case no == "":
		if job.ID == "" {
			return &InvalidJobError{Field: "id", Reason: "is required for " + string(req.Operation()) + " jobs"}
		}
		if !freeFormID.MatchString(job.ID) {
			return &InvalidJobError{Field: "id", Reason: "must be 1-64 characters of [0-9A-Za-z_.:-]"}
		}
	case job.ID == "":
		job.ID = no
	case job.ID != no:
		return &InvalidJobError{Field: "id", Reason: fmt.Sprintf("%q disagrees with the request number %q; omit id or make them equal", job.ID, no)}
	}
	return nil
}

// requestDecodeProblem names the request field that did not decode
// ("request.display_info.name"), or "request" for the object itself.
func requestDecodeProblem(err error) error {
	var de *marketing.DecodeError
	if errors.As(err, &de) {
		field := "request"
		if de.Field != "" {
			field += "." + de.Field
		}
		return &InvalidJobError{Field: field, Reason: de.Problem, Err: err}
	}
	return &InvalidJobError{Field: "request", Reason: err.Error(), Err: err}
}

// validationProblems turns the wechat package's field-rule violations into
// InvalidJobErrors whose field paths start at the job ("request.<field>").
func validationProblems(err error) error {
	var leaves []error
	collectLeaves(err, &leaves)
	out := make([]error, 0, len(leaves))
	for _, leaf := range leaves {
		var ve *marketing.ValidationError
		if errors.As(leaf, &ve) {
			out = append(out, &InvalidJobError{Field: "request." + ve.Field, Reason: ve.Rule, Err: ve})
			continue
		}
		out = append(out, &InvalidJobError{Field: "request", Reason: leaf.Error(), Err: leaf})
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

func collectLeaves(err error, into *[]error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			collectLeaves(e, into)
		}
		return
	}
	*into = append(*into, err)
}

// jsonProblem rewrites encoding/json errors into short, field-naming text.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, err)
	}
	return err.Error()
}
