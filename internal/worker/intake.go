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

// run pulls and routes until ctx ends. It takes what is already there
// without waiting (up to intakeBatch jobs) and, only when nothing is, waits
// for the next single job: a Fetch of many jobs would hold the first of
// them until the batch is full or FetchWait passes, so a lone job would
// wait up to FetchWait before reaching its flow.
func (in *intake) run(ctx context.Context) {
	idle := false
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, in.w.cfg.FetchWait)
		var batch jetstream.MessageBatch
		var err error
		if idle {
			batch, err = in.cons.Fetch(1, jetstream.FetchContext(fctx))
		} else {
			batch, err = in.cons.FetchNoWait(intakeBatch)
		}
		n := 0
		if err == nil {
			n = in.route(ctx, batch)
			err = batch.Error()
		}
		cancel()
		idle = n == 0
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrNoMessages) {
			in.log.Warn("intake: fetching jobs failed; retrying", zap.Error(err))
			sleepCtx(ctx, time.Second)
		}
	}
}

// route sorts one batch: invalid jobs are settled at once, valid ones are
// published to their groups together and acknowledged once stored. It
// returns how many jobs the batch held.
func (in *intake) route(ctx context.Context, batch jetstream.MessageBatch) int {
	var out []routed
	n := 0
	for msg := range batch.Messages() {
		n++
		d := in.w.describe(in.typ, msg)
		g, o := in.w.classify(d)
		if o != nil {
			in.w.settle(ctx, msg, d, *o)
			continue
		}
		r := routed{msg: msg, d: d, subject: g.subject()}
		fm := &nats.Msg{Subject: r.subject, Data: d.data, Header: nats.Header{}}
		fm.Header.Set(HeaderJobSubject, d.subject)
		fm.Header.Set(HeaderJobSequence, strconv.FormatUint(d.seq, 10))
		fm.Header.Set(headerEnqueuedAt, d.enqueuedAt.UTC().Format(time.RFC3339Nano))
		ack, err := in.w.js.PublishMsgAsync(fm, jetstream.WithMsgID(jobs.MsgID(d.typ, d.id)), jetstream.WithExpectStream(FlowsStream))
		if err != nil {
			in.log.Warn("intake: publishing to flow failed; job handed back", append(d.logFields(), zap.Error(err))...)
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		r.ack = ack
		out = append(out, r)
	}
	woken := map[string]bool{}
	for _, r := range out {
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
		if !woken[r.subject] {
			woken[r.subject] = true
			_ = in.w.js.Conn().Publish(WakeSubjectPrefix+string(in.typ), []byte(r.subject))
		}
	}
	return n
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
	job, err := jobs.Decode(d.typ, d.data)
	if err != nil {
		o := w.fail(d, nil, jobs.CodeInvalidJob, err.Error(), false)
		return nil, &o
	}
	d.id, d.meta = job.ID, job.Meta
	if d.msgID != "" && d.msgID != jobs.MsgID(d.typ, job.ID) {
		o := w.fail(d, nil, jobs.CodeInvalidJob, fmt.Sprintf(
			"header Nats-Msg-Id %q does not match the job id (want %q)", d.msgID, jobs.MsgID(d.typ, job.ID)), false)
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
