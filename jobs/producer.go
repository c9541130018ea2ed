package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/clock"
)

// Producer publishes jobs and waits for JetStream to store them. It is safe
// for concurrent use. Order systems embed it; the enqueue CLI uses it too.
type Producer struct {
	js  jetstream.JetStream
	cfg ProducerConfig
}

// ProducerConfig tunes a Producer. The zero value is ready to use.
type ProducerConfig struct {
	// AttemptTimeout bounds one publish-and-ack round trip. Default 5s.
	AttemptTimeout time.Duration
	// MaxRetryTime bounds how long Publish keeps republishing the same
	// message (same id, same bytes) across disconnects and leader changes
	// when ctx has no deadline. Default 1m.
	MaxRetryTime time.Duration
	// Clock supplies the event time for jobs whose use_time is missing when
	// the caller gives none. Default the system clock.
	Clock clock.Clock
}

// NewProducer returns a producer publishing through js.
func NewProducer(js jetstream.JetStream, cfg ProducerConfig) *Producer {
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 5 * time.Second
	}
	if cfg.MaxRetryTime <= 0 {
		cfg.MaxRetryTime = time.Minute
	}
	cfg.Clock = clock.OrSystem(cfg.Clock)
	return &Producer{js: js, cfg: cfg}
}

// PublishOption changes one Publish call.
type PublishOption func(*publishOptions)

type publishOptions struct{ eventTime time.Time }

// EventTime sets the time of the business event (the checkout, the
// campaign step) used as use_time when the job's request has none.
// Default: the time Publish is called.
func EventTime(t time.Time) PublishOption { return func(o *publishOptions) { o.eventTime = t } }

// Published describes a stored job.
type Published struct {
	// ID is the job id (derived from the request number when omitted).
	ID string
	// MsgID is the Nats-Msg-Id, "<type>/<id>".
	MsgID string
	// Sequence is the job's stream sequence.
	Sequence uint64
	// Duplicate is true when JetStream already had a job with this id
	// within its duplicate window: nothing new was enqueued.
	Duplicate bool
}

// Publish validates and publishes one job of type t and waits for the
// JetStream acknowledgement. On a disconnect, timeout or a stream that is not
// there yet, it republishes the same bytes with the same Nats-Msg-Id (so the
// job is stored once) until ctx ends or MaxRetryTime passes. An invalid job is
// an *InvalidJobError and nothing is published; a full stream (DiscardNew)
// is returned at once as a *jetstream.APIError.
func (p *Producer) Publish(ctx context.Context, t Type, job Job, opts ...PublishOption) (*Published, error) {
	o := publishOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.eventTime.IsZero() {
		o.eventTime = p.cfg.Clock.Now()
	}
	prep, err := Prepare(t, job, o.eventTime)
	if err != nil {
		return nil, err
	}
	return p.PublishPrepared(ctx, prep)
}

// PublishPrepared publishes a job prepared earlier with Prepare, retrying as
// Publish does.
func (p *Producer) PublishPrepared(ctx context.Context, prep *Prepared) (*Published, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.MaxRetryTime)
		defer cancel()
	}
	var ack *jetstream.PubAck
	op := func() error {
		actx, cancel := context.WithTimeout(ctx, p.cfg.AttemptTimeout)
		defer cancel()
		msg := &nats.Msg{Subject: prep.Subject, Data: prep.Data, Header: nats.Header{}}
		var err error
		ack, err = p.js.PublishMsg(actx, msg, jetstream.WithMsgID(prep.MsgID), jetstream.WithExpectStream(JobsStream))
		if err == nil {
			return nil
		}
		if !IsTransientPublishError(err) {
			return backoff.Permanent(err)
		}
		return err
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 100 * time.Millisecond
	bo.MaxInterval = 2 * time.Second
	bo.MaxElapsedTime = 0 // ctx bounds it
	if err := backoff.Retry(op, backoff.WithContext(bo, ctx)); err != nil {
		return nil, fmt.Errorf("publish job %s: %w", prep.MsgID, err)
	}
	return &Published{ID: prep.ID, MsgID: prep.MsgID, Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// IsTransientPublishError reports whether republishing the same message may
// succeed: lost connections (including a full reconnect buffer), timeouts
// and a stream that has no responders yet (not created, or electing a
// leader). JetStream API errors such as a full stream are final.
func IsTransientPublishError(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return false
	}
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, nats.ErrReconnectBufExceeded) ||
		errors.Is(err, nats.ErrConnectionDraining)
}
