package worker

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/jobs"
)

// Panics are contained to the job that raised them (like River's executor
// and asynq's processor): the process and every other job carry on.

// safeProcess is process with a panic turned into an outcome: the job is
// retried (the call may have taken effect, and the API answers a repeat
// idempotently) until its attempts are spent, then failed with code PANIC
// and dead-lettered. The panic is logged with its stack.
func (w *Worker) safeProcess(ctx context.Context, d *delivery, f Flow, slot Slot) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = w.panicked(d, r)
		}
	}()
	return w.process(ctx, d, f, slot)
}

// panicked is the outcome of a delivery whose handling panicked with r.
func (w *Worker) panicked(d *delivery, r any) outcome {
	msg := fmt.Sprintf("panic while handling the job: %v", r)
	w.log.Error("panic while handling a job; the worker carries on", d.logFields(
		zap.String("panic", fmt.Sprint(r)), zap.String("stack", string(debug.Stack())))...)
	if d.attempt < w.cfg.MaxAttempts {
		return outcome{act: actRetry, delay: backoffDelay(d.attempt, w.cfg.InitialBackoff, w.cfg.MaxBackoff), why: msg}
	}
	return w.fail(d, nil, jobs.CodePanic, fmt.Sprintf("%s (attempt %d of %d)", msg, d.attempt, w.cfg.MaxAttempts), false)
}

// safeSettle is settle with a panic contained: the job is handed back (it
// counts as an attempt) and redelivered.
func (w *Worker) safeSettle(ctx context.Context, msg jetstream.Msg, d *delivery, o outcome) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("panic while settling a job; handing it back", d.logFields(
				zap.String("panic", fmt.Sprint(r)), zap.String("stack", string(debug.Stack())))...)
			func() {
				defer func() { _ = recover() }()
				_ = msg.NakWithDelay(backoffDelay(d.attempt, w.cfg.InitialBackoff, w.cfg.MaxBackoff))
			}()
		}
	}()
	w.settle(ctx, msg, d, o)
}
