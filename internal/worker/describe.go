package worker

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// describe reads what the message itself says: delivery count, stream
// position, message id and the id derived from it. Headers that carry a
// job's origin (subject, sequence, enqueue time) are trusted only on the
// flows stream, where intake wrote them: a producer cannot move a job's
// dead letter or its retry clock by setting them. A subject, header name or
// value that is not valid UTF-8 marks the job INVALID_JOB (d.problem):
// results are JSON, which would replace those bytes silently.
func (w *Worker) describe(t jobs.Type, msg jetstream.Msg) *delivery {
	d := &delivery{typ: t, data: msg.Data(), subject: msg.Subject(), attempt: 1, delivered: 1, enqueuedAt: w.serverNow()}
	if md, err := msg.Metadata(); err == nil {
		d.delivered = int(md.NumDelivered)
		d.seq = md.Sequence.Stream
		d.enqueuedAt = md.Timestamp
	}
	d.attempt = d.delivered
	d.problem = unfaithfulMeta(msg)
	h := msg.Headers()
	if strings.HasPrefix(msg.Subject(), FlowSubjectPrefix) {
		d.flowSeq = d.seq
		if s := h.Get(jobs.HeaderJobSubject); s != "" && utf8.ValidString(s) {
			d.subject = s
		}
		if n, err := strconv.ParseUint(h.Get(jobs.HeaderJobSequence), 10, 64); err == nil {
			d.seq = n
		}
		if at, err := time.Parse(time.RFC3339Nano, h.Get(headerEnqueuedAt)); err == nil {
			d.enqueuedAt = at
		}
	}
	d.msgID = h.Get(jetstream.MsgIDHeader)
	if _, id, replay, ok := jobs.ParseMsgID(d.msgID); ok && utf8.ValidString(id) {
		d.id, d.replay = id, replay
	} else if id := jobs.IDFromMsgID(d.msgID); id != "" && utf8.ValidString(id) {
		d.id = id
	} else {
		d.id = fmt.Sprintf("seq-%d", d.seq)
	}
	d.mchid = w.defMchID
	return d
}

// unfaithfulMeta names the first subject, header name or header value of
// msg that is not valid UTF-8, or returns "".
func unfaithfulMeta(msg jetstream.Msg) string {
	if !utf8.ValidString(msg.Subject()) {
		return "subject is not valid UTF-8"
	}
	for k, vs := range msg.Headers() {
		if !utf8.ValidString(k) {
			return fmt.Sprintf("header name %q is not valid UTF-8", k)
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return fmt.Sprintf("header %s: value is not valid UTF-8", k)
			}
		}
	}
	return ""
}
