package admin

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// DeadLetter is one message of the dead-letter stream: a failed job's
// original bytes and why it failed.
type DeadLetter struct {
	// Seq is its sequence in the dead-letter stream (the replay generation
	// of a replay of it).
	Seq uint64 `json:"seq"`
	// Type is the job type from the subject (as published, even unknown).
	Type string `json:"type"`
	// ID is the job id; Replay the replay generation of the failed run.
	ID     string `json:"id"`
	Replay uint64 `json:"replay,omitempty"`
	MsgID  string `json:"msg_id"`
	// Code, Message and Class say why it failed.
	Code    string `json:"code"`
	Message string `json:"message"`
	Class   string `json:"class"`
	// Attempts, Worker, RequestID, FailedAt, JobSubject, JobSeq: from the headers.
	Attempts   int       `json:"attempts"`
	Worker     string    `json:"worker,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	FailedAt   time.Time `json:"failed_at"`
	JobSubject string    `json:"job_subject,omitempty"`
	JobSeq     uint64    `json:"job_seq,omitempty"`
	// Campaign is meta.campaign of the job, if any.
	Campaign string `json:"campaign,omitempty"`
	// Job is the job's original bytes for display: the JSON as it is, or a
	// JSON string when the bytes are not JSON (empty in a headers-only read).
	Job json.RawMessage `json:"job,omitempty"`
	// Body is the job's original bytes, republished as they are by a replay.
	Body []byte `json:"-"`
}

// DeadLetterFilter selects dead letters; empty fields select all.
type DeadLetterFilter struct {
	Types    []string
	Codes    []string
	Class    string // jobs.ClassOperational, jobs.ClassRejected or "" for both
	IDs      []string
	Campaign string
	Seqs     []uint64
}

// Match reports whether d passes the filter.
func (f DeadLetterFilter) Match(d *DeadLetter) bool {
	return (len(f.Types) == 0 || slices.Contains(f.Types, d.Type)) &&
		(len(f.Codes) == 0 || slices.Contains(f.Codes, d.Code)) &&
		(f.Class == "" || f.Class == d.Class) &&
		(len(f.IDs) == 0 || slices.Contains(f.IDs, d.ID)) &&
		(f.Campaign == "" || f.Campaign == d.Campaign) &&
		(len(f.Seqs) == 0 || slices.Contains(f.Seqs, d.Seq))
}

// needsBody reports whether matching needs the job's bytes (campaign).
func (f DeadLetterFilter) needsBody() bool { return f.Campaign != "" }

// ScanDeadLetters calls fn for every dead letter that matches f, in stream
// order. With headersOnly the job bytes are not read (and a campaign filter
// cannot be applied: it is then ignored).
func ScanDeadLetters(ctx context.Context, js jetstream.JetStream, f DeadLetterFilter, headersOnly bool, fn func(*DeadLetter) error) error {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, HeadersOnly: headersOnly && !f.needsBody()}
	for _, t := range f.Types {
		cfg.FilterSubjects = append(cfg.FilterSubjects, jobs.DLQSubjectPrefix+t)
	}
	if len(f.Seqs) == 1 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = f.Seqs[0]
	}
	return scan(ctx, js, jobs.DLQStream, cfg, false, func(m jetstream.Msg) error {
		d := parseDeadLetter(m)
		if !f.Match(d) {
			if len(f.Seqs) == 1 && d.Seq > f.Seqs[0] {
				return ErrStop
			}
			return nil
		}
		return fn(d)
	})
}

// parseDeadLetter reads a dead letter's headers and, when present, body.
func parseDeadLetter(m jetstream.Msg) *DeadLetter {
	h := m.Headers()
	d := &DeadLetter{
		Type:       strings.TrimPrefix(m.Subject(), jobs.DLQSubjectPrefix),
		MsgID:      h.Get(jetstream.MsgIDHeader),
		Code:       h.Get(jobs.HeaderErrorCode),
		Message:    h.Get(jobs.HeaderErrorMessage),
		Class:      h.Get(jobs.HeaderFailureClass),
		Worker:     h.Get(jobs.HeaderWorker),
		RequestID:  h.Get(jobs.HeaderRequestID),
		JobSubject: h.Get(jobs.HeaderJobSubject),
	}
	if md, err := m.Metadata(); err == nil {
		d.Seq = md.Sequence.Stream
	}
	if d.Class == "" {
		d.Class = jobs.FailureClass(d.Code)
	}
	d.Attempts, _ = strconv.Atoi(h.Get(jobs.HeaderAttempts))
	d.JobSeq, _ = strconv.ParseUint(h.Get(jobs.HeaderJobSequence), 10, 64)
	d.FailedAt, _ = time.Parse(time.RFC3339Nano, h.Get(jobs.HeaderFailedAt))
	if _, id, replay, ok := jobs.ParseMsgID(d.MsgID); ok {
		d.ID, d.Replay = id, replay
	}
	if body := m.Data(); len(body) > 0 {
		d.Body = body
		d.Campaign = campaignOf(body)
		d.Job = json.RawMessage(body)
		if !json.Valid(body) {
			d.Job, _ = json.Marshal(string(body))
		}
	}
	return d
}

// campaignOf returns meta.campaign of a job body, or "".
func campaignOf(body []byte) string {
	var j struct {
		Meta struct {
			Campaign string `json:"campaign"`
		} `json:"meta"`
	}
	if json.Unmarshal(body, &j) != nil {
		return ""
	}
	return j.Meta.Campaign
}
