package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/jobs"
)

// settleTimeout bounds publishing a result and acknowledging. While the
// worker shuts down, the shutdown deadline bounds it too (settleContext): a
// result not stored by then is produced again by the job's redelivery (the
// API answers the repeat idempotently).
const settleTimeout = 15 * time.Second

// settleContext bounds one settle: settleTimeout, and the shutdown deadline
// once the worker is stopping. It is not cancelled by ctx: a finished
// call's result is stored even after in-flight calls were cancelled.
func (w *Worker) settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	if dl, ok := w.stopDeadline(); ok {
		dctx, dcancel := context.WithDeadline(sctx, dl)
		return dctx, func() { dcancel(); cancel() }
	}
	return sctx, cancel
}

// settle carries out an outcome. A job is acknowledged only after its dead
// letter (if any) and result are stored; if storing fails, the job is naked so it is
// processed again (the API answers a repeat idempotently).
func (w *Worker) settle(ctx context.Context, msg jetstream.Msg, d *delivery, o outcome) {
	// WithLazy: the fields are encoded only if something is logged (most
	// jobs log nothing at the default level: one clone and encode per job
	// saved).
	log := w.log.WithLazy(d.logFields()...)
	switch o.act {
	case actHandBack:
		if o.free {
			hctx, cancel := w.settleContext(ctx)
			err := w.recordFree(hctx, d)
			cancel()
			if err != nil {
				log.Warn("recording the hand-back failed; this delivery counts as an attempt", zap.Error(err))
			}
		}
		var err error
		if o.delay > 0 {
			err = msg.NakWithDelay(o.delay)
		} else {
			err = msg.Nak()
		}
		if err != nil {
			log.Warn("handing job back failed; it is redelivered after ack_wait", zap.Error(err))
		}
		log.Info("job handed back", zap.String("why", o.why), zap.Bool("attempt_counted", !o.free), zap.Duration("delay", o.delay))
		return
	case actAbandon:
		if o.free {
			hctx, cancel := w.settleContext(ctx)
			_ = w.recordFree(hctx, d)
			cancel()
		}
		log.Info("job left to its redelivery", zap.String("why", o.why))
		return
	case actRetry:
		if err := msg.NakWithDelay(o.delay); err != nil {
			log.Warn("scheduling retry failed; it is redelivered after ack_wait", zap.Error(err))
		}
		log.Info("job will be retried", zap.Duration("delay", o.delay), zap.String("error", o.why))
		return
	}
	sctx, cancel := w.settleContext(ctx)
	defer cancel()
	r := o.result
	// Dead letter first, then the result: whoever sees a failed result can
	// find its dead letter.
	if o.dead {
		if err := w.publishDeadLetter(sctx, d, r); err != nil {
			log.Error("storing dead letter failed; job will be processed again", zap.Error(err))
			_ = msg.NakWithDelay(time.Second)
			return
		}
	}
	if err := w.publishResult(sctx, d, r); err != nil {
		log.Error("storing result failed; job will be processed again", zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
		return
	}
	if err := msg.DoubleAck(sctx); err != nil {
		// The result is stored; a redelivery republishes it, deduplicated.
		log.Warn("ack failed after result was stored; a redelivery will be deduplicated", zap.Error(err))
	} else {
		w.forgetFree(sctx, d)
	}
	w.cfg.Metrics.JobFinished(string(r.Type), string(r.Status), errCode(r), r.Attempts)
	if o.dead {
		w.cfg.Metrics.DeadLettered(string(r.Type), errCode(r))
	}
	if r.Error != nil {
		log.Warn("job failed", append(finishedFields(r), zap.String("code", r.Error.Code), zap.String("error", r.Error.Message))...)
		return
	}
	if ce := log.Check(zap.InfoLevel, "job succeeded"); ce != nil {
		ce.Write(finishedFields(r)...)
	}
}

// finishedFields are the log fields of a stored result.
func finishedFields(r *jobs.Result) []zap.Field {
	return []zap.Field{
		zap.String("status", string(r.Status)),
		zap.Int("http_status", r.HTTPStatus), zap.String("request_id", r.RequestID),
		zap.Duration("latency", r.FinishedAt.Sub(r.EnqueuedAt)),
	}
}

func (w *Worker) publishResult(ctx context.Context, d *delivery, r *jobs.Result) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	msg := &nats.Msg{Subject: jobs.ResultSubject(r.Type, r.Status), Data: data, Header: nats.Header{}}
	return w.publish(ctx, msg, d.resultMsgID(), jobs.ResultsStream)
}

func (w *Worker) publishDeadLetter(ctx context.Context, d *delivery, r *jobs.Result) error {
	h := nats.Header{}
	h.Set(jobs.HeaderErrorCode, r.Error.Code)
	h.Set(jobs.HeaderFailureClass, jobs.FailureClass(r.Error.Code))
	h.Set(jobs.HeaderErrorMessage, headerSafe(r.Error.Message))
	h.Set(jobs.HeaderJobSubject, d.subject)
	h.Set(jobs.HeaderJobSequence, strconv.FormatUint(d.seq, 10))
	h.Set(jobs.HeaderAttempts, strconv.Itoa(d.attempt))
	h.Set(jobs.HeaderWorker, w.cfg.ID)
	h.Set(jobs.HeaderFailedAt, r.FinishedAt.Format(time.RFC3339Nano))
	if r.RequestID != "" {
		h.Set(jobs.HeaderRequestID, r.RequestID)
	}
	msg := &nats.Msg{Subject: jobs.DLQSubjectPrefix + dlqType(d), Data: d.data, Header: h}
	return w.publish(ctx, msg, d.resultMsgID(), jobs.DLQStream)
}

// dlqType is the type token of the dead-letter subject: the job's type, as
// given on its subject even when unknown.
func dlqType(d *delivery) string {
	if t, ok := jobs.TypeFromSubject(d.subject); ok && t != "" {
		return t
	}
	return string(d.typ)
}

// publish stores msg with a message id, retrying transient failures. The
// first try is made directly: the backoff (a policy, a context wrapper and
// closures) is built only when it fails transiently, not for every result.
func (w *Worker) publish(ctx context.Context, msg *nats.Msg, msgID, stream string) error {
	try := func() error {
		_, err := w.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(stream))
		if err != nil && !jobs.IsTransientPublishError(err) {
			return backoff.Permanent(fmt.Errorf("publish to %s: %w", stream, err))
		}
		return err
	}
	err := try()
	if err == nil {
		return nil
	}
	var perm *backoff.PermanentError
	if errors.As(err, &perm) {
		return perm.Err
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 50 * time.Millisecond
	bo.MaxInterval = time.Second
	bo.MaxElapsedTime = 0
	// backoff.Retry tries again at once, then backs off: one quick retry
	// more than before, only after a transient failure.
	return backoff.Retry(try, backoff.WithContext(bo, ctx))
}

// headerSafe keeps a header value on one line, bounded, and valid UTF-8
// (it is cut at a character boundary).
func headerSafe(s string) string {
	b := []byte(strings.ToValidUTF8(s, "\uFFFD"))
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	if len(b) > 1024 {
		cut := 1021
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = append(b[:cut], "..."...)
	}
	return string(b)
}

// errCode is a result's error code, "" for a success.
func errCode(r *jobs.Result) string {
	if r.Error == nil {
		return ""
	}
	return r.Error.Code
}
