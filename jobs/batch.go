package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Batch publishes many jobs asynchronously, keeping at most Window
// publishes awaiting their acknowledgement. A publish that fails for a
// transient reason is republished with the same id and bytes before Wait
// returns. A Batch is used by one goroutine.
type Batch struct {
	p       *Producer
	window  int
	onDone  func(*Prepared, *Published, error)
	pending []pendingPublish
	report  BatchReport
	timer   *time.Timer
}

type pendingPublish struct {
	prep   *Prepared
	future jetstream.PubAckFuture
}

// BatchConfig tunes a Batch. The zero value is ready to use.
type BatchConfig struct {
	// Window is the most publishes in flight at once. Default 256.
	Window int
	// OnDone, when set, is called once per job as soon as it is stored or
	// has finally failed (for progress reporting).
	OnDone func(prep *Prepared, pub *Published, err error)
}

// BatchReport summarises a batch.
type BatchReport struct {
	// Published counts jobs newly stored.
	Published int
	// Duplicates counts jobs JetStream already had (same id within its
	// duplicate window).
	Duplicates int
	// Failed lists the jobs that could not be stored, with why.
	Failed []BatchFailure
}

// BatchFailure is one job a batch could not store.
type BatchFailure struct {
	MsgID string
	Err   error
}

// NewBatch starts an asynchronous batch on p.
func (p *Producer) NewBatch(cfg BatchConfig) *Batch {
	if cfg.Window <= 0 {
		cfg.Window = 256
	}
	return &Batch{p: p, window: cfg.Window, onDone: cfg.OnDone}
}

// Add validates a job and starts publishing it. An invalid job is returned
// as an *InvalidJobError and is not counted; other failures surface in the
// report from Wait.
func (b *Batch) Add(ctx context.Context, t Type, job Job, opts ...PublishOption) error {
	o := publishOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.eventTime.IsZero() {
		o.eventTime = b.p.cfg.Clock.Now()
	}
	prep, err := Prepare(t, job, o.eventTime)
	if err != nil {
		return err
	}
	return b.AddPrepared(ctx, prep)
}

// AddPrepared starts publishing a job prepared with Prepare.
func (b *Batch) AddPrepared(ctx context.Context, prep *Prepared) error {
	for len(b.pending) >= b.window {
		if err := b.settleOldest(ctx); err != nil {
			return err
		}
	}
	msg := &nats.Msg{Subject: prep.Subject, Data: prep.Data, Header: nats.Header{}}
	f, err := b.p.js.PublishMsgAsync(msg, jetstream.WithMsgID(prep.MsgID), jetstream.WithExpectStream(JobsStream))
	if err != nil {
		// Could not even queue it: fall back to a synchronous, retrying publish.
		pub, rerr := b.retry(ctx, prep)
		b.finish(prep, pub, rerr)
		return nil
	}
	b.pending = append(b.pending, pendingPublish{prep: prep, future: f})
	return nil
}

// Wait blocks until every job added so far is stored or has finally failed,
// and returns the report. It returns an error only when ctx ends first.
func (b *Batch) Wait(ctx context.Context) (*BatchReport, error) {
	for len(b.pending) > 0 {
		if err := b.settleOldest(ctx); err != nil {
			return &b.report, err
		}
	}
	r := b.report
	return &r, nil
}

func (b *Batch) settleOldest(ctx context.Context) error {
	pp := b.pending[0]
	// One timer for the batch, reset per wait (no allocation per job).
	if b.timer == nil {
		b.timer = time.NewTimer(b.p.cfg.AttemptTimeout)
	} else {
		b.timer.Reset(b.p.cfg.AttemptTimeout)
	}
	timeout := b.timer
	defer timeout.Stop()
	select {
	case ack := <-pp.future.Ok():
		b.pending = b.pending[1:]
		b.finish(pp.prep, &Published{ID: pp.prep.ID, MsgID: pp.prep.MsgID, Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil)
	case err := <-pp.future.Err():
		b.pending = b.pending[1:]
		if IsTransientPublishError(err) {
			pub, rerr := b.retry(ctx, pp.prep)
			b.finish(pp.prep, pub, rerr)
		} else {
			b.finish(pp.prep, nil, err)
		}
	case <-timeout.C:
		// No answer in time: republish synchronously (same id, deduplicated).
		b.pending = b.pending[1:]
		pub, rerr := b.retry(ctx, pp.prep)
		b.finish(pp.prep, pub, rerr)
	case <-ctx.Done():
		return fmt.Errorf("batch: %d jobs still awaiting acknowledgement: %w", len(b.pending), ctx.Err())
	}
	return nil
}

func (b *Batch) retry(ctx context.Context, prep *Prepared) (*Published, error) {
	return b.p.PublishPrepared(ctx, prep)
}

func (b *Batch) finish(prep *Prepared, pub *Published, err error) {
	switch {
	case err != nil:
		b.report.Failed = append(b.report.Failed, BatchFailure{MsgID: prep.MsgID, Err: err})
	case pub.Duplicate:
		b.report.Duplicates++
	default:
		b.report.Published++
	}
	if b.onDone != nil {
		b.onDone(prep, pub, err)
	}
}
