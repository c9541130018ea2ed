package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/jobs"
)

// runJanitor periodically looks for jobs published to couponq.jobs.<x>
// where <x> is not a job type. No lane consumes them, so without the janitor
// they would sit in the work queue forever; it turns each into an
// INVALID_JOB result and a dead letter.
func (w *Worker) runJanitor(ctx, hard context.Context) {
	for {
		if err := w.sweepUnknown(ctx, hard); err != nil && ctx.Err() == nil {
			w.log.Warn("looking for jobs of unknown types failed", zap.Error(err))
		}
		if !w.sleep(ctx, w.cfg.JanitorInterval) {
			return
		}
	}
}

func (w *Worker) sweepUnknown(ctx, hard context.Context) error {
	s, err := w.js.Stream(ctx, jobs.JobsStream)
	if err != nil {
		return fmt.Errorf("jobs stream: %w", err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(jobs.JobSubjectPrefix+">"))
	if err != nil {
		return fmt.Errorf("jobs stream info: %w", err)
	}
	for subj := range info.State.Subjects {
		if knownJobSubject(subj) {
			continue
		}
		if err := w.drainUnknown(ctx, hard, s, subj); err != nil {
			return err
		}
	}
	return nil
}

func knownJobSubject(subj string) bool {
	t, ok := jobs.TypeFromSubject(subj)
	if !ok {
		return false
	}
	_, err := jobs.ParseType(t)
	return err == nil
}

// drainUnknown fails every job on one unknown subject. The consumer name is
// derived from the subject so janitors of several workers share it (a work
// queue allows one consumer per subject); the server removes it when idle.
func (w *Worker) drainUnknown(ctx, hard context.Context, s jetstream.Stream, subj string) error {
	sum := sha256.Sum256([]byte(subj))
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:           "couponq_unknown_" + hex.EncodeToString(sum[:8]),
		Description:       "couponq janitor for " + subj,
		FilterSubject:     subj,
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           w.cfg.AckWait,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return fmt.Errorf("janitor consumer for %s: %w", subj, err)
	}
	typ, _ := jobs.TypeFromSubject(subj)
	for ctx.Err() == nil {
		batch, err := cons.FetchNoWait(32)
		if err != nil {
			return fmt.Errorf("janitor fetch %s: %w", subj, err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			d := w.describe(jobs.Type(typ), msg)
			o := w.fail(d, nil, jobs.CodeInvalidJob, fmt.Sprintf("unknown job type %q (subject %s); known types: %s", typ, subj, marketing.OperationNames()), false)
			w.settle(hard, msg, d, o)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("janitor fetch %s: %w", subj, err)
		}
		if n == 0 {
			return nil
		}
	}
	return nil
}
