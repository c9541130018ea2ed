package jobs

import (
	"encoding/json"
	"fmt"
	"time"
)

// Prepared is a job ready to publish: its final bytes and message id. The
// bytes never change afterwards, so a republish is byte-for-byte identical.
type Prepared struct {
	Type    Type
	ID      string
	Subject string
	MsgID   string
	Data    []byte
}

// Prepare fixes every value of a job before it is published: it fills
// request.use_time with eventTime (RFC3339, second precision, in eventTime's
// zone) when the type needs it and the producer left it out, derives the id
// from the request number, validates the job exactly as the worker will, and
// encodes it. Errors are *InvalidJobError.
func Prepare(t Type, job Job, eventTime time.Time) (*Prepared, error) {
	if _, err := ParseType(string(t)); err != nil {
		return nil, &InvalidJobError{Reason: err.Error(), Err: err}
	}
	if t.UsesUseTime() && len(job.Request) > 0 && !hasUseTime(job.Request) {
		filled, err := fillUseTime(job.Request, eventTime)
		if err != nil {
			return nil, err
		}
		job.Request = filled
	}
	// The common case is encoded without reflection (encode_fast.go); the
	// result is used only when it decodes to exactly this job, else the job
	// is encoded and checked again as json.Marshal does, for the same
	// answer and message.
	data, fast := encodeJobFast(&job)
	var d *Decoded
	var err error
	if fast {
		d, err = Decode(t, data)
		fast = err == nil && sameJob(&d.Job, &job)
	}
	if !fast {
		if data, err = json.Marshal(job); err != nil {
			return nil, &InvalidJobError{Reason: "cannot encode job: " + err.Error(), Err: err}
		}
		if d, err = Decode(t, data); err != nil {
			return nil, err
		}
	}
	if job.ID == "" {
		// Add the derived id so the worker and the result agree.
		if data, err = withID(data, d.ID); err != nil {
			return nil, &InvalidJobError{Reason: "cannot encode job: " + err.Error(), Err: err}
		}
	}
	return &Prepared{Type: t, ID: d.ID, Subject: JobSubject(t), MsgID: MsgID(t, d.ID), Data: data}, nil
}

// fillUseTime adds "use_time" to a request object that lacks it.
func fillUseTime(raw json.RawMessage, eventTime time.Time) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, &InvalidJobError{Field: "request", Reason: "must be a JSON object: " + jsonProblem(err), Err: err}
	}
	if fields == nil {
		return raw, nil // JSON null: Decode reports the missing request
	}
	if v, ok := fields["use_time"]; ok && string(v) != `""` && string(v) != "null" {
		return raw, nil
	}
	if eventTime.IsZero() {
		eventTime = time.Now()
	}
	ts, err := json.Marshal(eventTime.Truncate(time.Second).Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("encode use_time: %w", err)
	}
	fields["use_time"] = ts
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return out, nil
}

// withID returns the encoding of a job without id (data, as json.Marshal
// wrote it) with "id" added: the same bytes json.Marshal writes for the job
// with ID set, since id is Job's first field, without encoding it again.
func withID(data []byte, id string) ([]byte, error) {
	if len(data) < 2 || data[0] != '{' || data[1] == '}' {
		return nil, fmt.Errorf("unexpected job encoding %q", data)
	}
	quoted, err := json.Marshal(id)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)+len(quoted)+len(`"id":,`))
	out = append(out, `{"id":`...)
	out = append(out, quoted...)
	out = append(out, ',')
	return append(out, data[1:]...), nil
}
