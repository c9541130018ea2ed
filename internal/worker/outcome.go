package worker

import (
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/couponq/couponq/jobs"
)

// action is what settle does with a message once processing is over.
type action int

const (
	// actFinish publishes the result (and a dead letter when dead), then acks.
	actFinish action = iota
	// actRetry naks with a delay: a retryable error, attempts remain. The
	// delivery counts as an attempt.
	actRetry
	// actHandBack naks (after delay, if any) a job this delivery did not
	// try: the worker is shutting down, has no rate budget or cannot store
	// results. When free is set the delivery is recorded as not an attempt
	// (handbacks.go); otherwise it counts (a request was sent).
	actHandBack
	// actAbandon leaves the message alone: JetStream has redelivered it (or
	// is about to) after this worker was cut off; the redelivery owns it.
	// When free is set the delivery is recorded as not an attempt.
	actAbandon
)

// outcome is process's verdict on one delivery; settle carries it out.
// Handlers steer by what they return, one dispatcher maps that to
// Ack / NakWithDelay / Nak (like River's job errors).
type outcome struct {
	act    action
	result *jobs.Result
	// dead: also publish the original job to the dead-letter stream.
	dead bool
	// delay before the next delivery (actRetry, actHandBack).
	delay time.Duration
	// free: this delivery sent no request that counts as an attempt
	// (actHandBack).
	free bool
	// why, for logs of retries and hand-backs.
	why string
}

// delivery is what process knows of one message.
type delivery struct {
	typ        jobs.Type
	id         string
	mchid      string
	attempt    int
	seq        uint64
	subject    string
	enqueuedAt time.Time
	meta       json.RawMessage
	data       []byte
	msgID      string
	// delivered is JetStream's delivery count; attempt is that minus the
	// deliveries recorded as free (hand-backs), the number of real tries.
	delivered int
	// free is how many earlier deliveries were recorded as hand-backs.
	free int
	// flowSeq is the message's sequence in the flows stream (0 at intake).
	flowSeq uint64
	// problem, when set, makes the job INVALID_JOB before decoding (a
	// header or subject that cannot be represented faithfully).
	problem string
	// replay is N for a replay of dead letter N (message id
	// <type>/<id>/replay-N), 0 for a first run.
	replay uint64
}

// resultMsgID is the message id of the job's copy in its flow, of its
// result and of its dead letter: <type>/<id>, or <type>/<id>/replay-N for a
// replay, so a replay's result is not dropped as a duplicate of the first.
func (d *delivery) resultMsgID() string {
	if d.replay > 0 {
		return jobs.ReplayMsgID(d.typ, d.id, d.replay)
	}
	return jobs.MsgID(d.typ, d.id)
}

// logFields are the fields every log line about d carries (job id, type,
// attempt, merchant), followed by extra.
func (d *delivery) logFields(extra ...zap.Field) []zap.Field {
	return append([]zap.Field{
		zap.String("job_id", d.id), zap.String("type", string(d.typ)),
		zap.Int("attempt", d.attempt), zap.String("mchid", d.mchid),
	}, extra...)
}
