package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/jobs"
)

// headerEnqueuedAt carries a job's time of arrival in COUPONQ_JOBS onto its
// copy in the flows stream, so results report the producer's enqueue time.
const headerEnqueuedAt = "Couponq-Enqueued-At"

// intakeBatch bounds how many jobs one intake pull takes: intake makes no
// API call, so it only sorts, and a large batch keeps publishing pipelined.
const intakeBatch = 256

// intake moves the jobs of one type from the contract's subject into their
// group in the flows stream: it decodes and validates each job (an invalid
// one gets its INVALID_JOB result and dead letter here, nothing is sent),
// publishes it to couponq.flow.<type>.<mchid>.<priority>.<key> with the same
// message id (so a repeat is dropped as a duplicate), acknowledges it, and
// wakes the workers for the groups that got work. It never waits for budget.
type intake struct {
	w    *Worker
	typ  jobs.Type
	cons jetstream.Consumer
	log  *zap.Logger
}

// routed is one valid job on its way to its group.
type routed struct {
	msg     jetstream.Msg
	d       *delivery
	subject string
	ack     jetstream.PubAckFuture
}

// consumerCheckInterval is how often an intake that got no jobs checks
// that its consumer still exists (a pull on a deleted consumer may just
// time out).
const consumerCheckInterval = 10 * time.Second

// run pulls and routes until ctx ends. A consumer (or stream) found
// missing is re-created, and said so in the log; other fetch errors are
// retried every second. hard bounds settling at shutdown.
func (in *intake) run(ctx, hard context.Context) {
	checked := in.w.cfg.Clock.Now()
	for ctx.Err() == nil {
		if in.cons == nil && !in.recreate(ctx) {
			in.w.sleep(ctx, time.Second)
			continue
		}
		fctx, cancel := context.WithTimeout(ctx, in.w.cfg.FetchWait)
		got := false
		batch, err := in.cons.Fetch(intakeBatch, jetstream.FetchContext(fctx))
		if err == nil {
			got = in.route(ctx, hard, batch)
			err = batch.Error()
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		quiet := err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoMessages)
		if !quiet || (!got && in.w.cfg.Clock.Now().Sub(checked) > consumerCheckInterval) {
			checked = in.w.cfg.Clock.Now()
			if in.check(ctx, err) {
				continue
			}
		}
		if !quiet {
			in.w.health.failed(in.typ, err)
			in.log.Warn("intake: fetching jobs failed; retrying", zap.Error(err))
			in.w.sleep(ctx, time.Second)
			continue
		}
		in.w.health.ok(in.typ)
	}
}

// check looks up the consumer after a fetch error (or a quiet spell); when
// it (or its stream) is missing it drops it so that run re-creates it, and
// reports true.
func (in *intake) check(ctx context.Context, fetchErr error) bool {
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := in.cons.Info(ictx)
	if err == nil || !missing(err) {
		return false
	}
	in.log.Warn("intake: consumer is missing; re-creating it", zap.String("consumer", ConsumerName(in.typ)),
		zap.NamedError("lookup_error", err), zap.NamedError("fetch_error", fetchErr))
	in.cons = nil
	return true
}

// recreate creates the intake consumer again (and any missing stream).
func (in *intake) recreate(ctx context.Context) bool {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := EnsureConsumer(cctx, in.w.js, in.typ, in.w.cfg)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		in.w.repair.streams(cctx, in.w)
		cons, err = EnsureConsumer(cctx, in.w.js, in.typ, in.w.cfg)
	}
	if err != nil {
		in.log.Warn("intake: re-creating the consumer failed; retrying", zap.Error(err))
		return false
	}
	in.log.Info("intake: consumer re-created", zap.String("consumer", ConsumerName(in.typ)))
	in.cons = cons
	return true
}

// route sorts one batch as its messages arrive: invalid jobs are settled at
// once, valid ones are published to their groups asynchronously and
// acknowledged by confirm as soon as each copy is stored, so a job never
// waits for the rest of its batch. It reports whether the batch held any
// message.
func (in *intake) route(ctx, hard context.Context, batch jetstream.MessageBatch) bool {
	stored := make(chan routed, intakeBatch)
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.confirm(ctx, stored)
	}()
	got := false
	for msg := range batch.Messages() {
		got = true
		d := in.w.describe(in.typ, msg)
		g, o := in.w.safeClassify(d)
		if o != nil {
			in.w.safeSettle(hard, msg, d, *o)
			continue
		}
		r := routed{msg: msg, d: d, subject: g.subject()}
		fm := &nats.Msg{Subject: r.subject, Data: d.data, Header: nats.Header{}}
		fm.Header.Set(jobs.HeaderJobSubject, d.subject)
		fm.Header.Set(jobs.HeaderJobSequence, strconv.FormatUint(d.seq, 10))
		fm.Header.Set(headerEnqueuedAt, d.enqueuedAt.UTC().Format(time.RFC3339Nano))
		ack, err := in.w.js.PublishMsgAsync(fm, jetstream.WithMsgID(d.resultMsgID()), jetstream.WithExpectStream(FlowsStream))
		if err != nil {
			in.log.Warn("intake: publishing to flow failed; job handed back", append(d.logFields(), zap.Error(err))...)
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		r.ack = ack
		stored <- r
	}
	close(stored)
	<-done
	return got
}

// confirm acknowledges each routed job once its copy is stored and wakes
// the workers for its group.
func (in *intake) confirm(ctx context.Context, stored <-chan routed) {
	for r := range stored {
		select {
		case <-r.ack.Ok():
		case err := <-r.ack.Err():
			in.log.Warn("intake: storing in flow failed; job handed back", append(r.d.logFields(), zap.Error(err))...)
			_ = r.msg.NakWithDelay(time.Second)
			continue
		case <-ctx.Done():
			// Not yet confirmed: the job is redelivered after AckWait and
			// its copy, if stored, deduplicated.
			continue
		}
		if err := r.msg.Ack(); err != nil {
			in.log.Debug("intake: ack failed; the redelivery will be deduplicated", zap.Error(err))
		}
		_ = in.w.js.Conn().Publish(WakeSubjectPrefix+string(in.typ), []byte(r.subject))
	}
}

// safeClassify is classify with a panic contained to the job: it is retried
// (intake makes no call, but the panic may be transient) up to
// retry.max_attempts deliveries, then failed with code PANIC.
func (w *Worker) safeClassify(d *delivery) (g group, o *outcome) {
	defer func() {
		if r := recover(); r != nil {
			p := w.panicked(d, r)
			g, o = group{}, &p
		}
	}()
	return w.classify(d)
}

// classify decodes a job at intake: it returns the job's group, or the
// outcome of a job that cannot be routed (invalid, unknown merchant,
// delivered too often).
func (w *Worker) classify(d *delivery) (group, *outcome) {
	if d.attempt > w.cfg.MaxAttempts {
		o := w.fail(d, nil, jobs.CodeRetriesExhausted, fmt.Sprintf(
			"delivered %d times without being settled (more than retry.max_attempts=%d): a worker crashed or timed out on it each time",
			d.attempt, w.cfg.MaxAttempts), true)
		return group{}, &o
	}
	job, o := w.decode(d)
	if o != nil {
		return group{}, o
	}
	return group{Flow: Flow{Type: d.typ, MchID: d.mchid}, Priority: job.EffectivePriority(), Key: job.FairnessKey}, nil
}

// decode parses and validates d's job and checks its message id and
// merchant; it fills d's id, meta and mchid.
func (w *Worker) decode(d *delivery) (*jobs.Decoded, *outcome) {
	if d.problem != "" {
		o := w.fail(d, nil, jobs.CodeInvalidJob, "invalid job: cannot be represented faithfully: "+d.problem, false)
		return nil, &o
	}
	job, err := jobs.Decode(d.typ, d.data)
	if err != nil {
		o := w.fail(d, nil, jobs.CodeInvalidJob, err.Error(), false)
		return nil, &o
	}
	d.id, d.meta = job.ID, job.Meta
	if d.msgID != "" && d.msgID != d.resultMsgID() {
		o := w.fail(d, nil, jobs.CodeInvalidJob, fmt.Sprintf(
			"header Nats-Msg-Id %q does not match the job id (want %q, or %q/replay-N for a replay of dead letter N)",
			d.msgID, jobs.MsgID(d.typ, job.ID), jobs.MsgID(d.typ, job.ID)), false)
		return nil, &o
	}
	if job.MchID != "" {
		d.mchid = job.MchID
	}
	if err := w.checkMerchant(job.MchID); err != nil {
		o := w.fail(d, nil, jobs.CodeInvalidJob, err.Error(), false)
		return nil, &o
	}
	return job, nil
}
