package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// repairInterval bounds how often one worker tries to re-create what it
// found missing.
const repairInterval = time.Second

// repairer re-creates streams and the hand-back bucket found missing at run
// time (deleted by an operator, lost with a server's storage). It only ever
// creates what is missing, never updates what exists: a worker with a stale
// config must not rewrite the fleet's streams. Consumers are re-created by
// their owners (intake, flow runners).
type repairer struct {
	mu   sync.Mutex
	last time.Time
}

// streams creates every missing stream and the bucket, at most once per
// repairInterval, and logs what it created.
func (r *repairer) streams(ctx context.Context, w *Worker) {
	r.mu.Lock()
	if w.cfg.Clock.Now().Sub(r.last) < repairInterval {
		r.mu.Unlock()
		return
	}
	r.last = w.cfg.Clock.Now()
	r.mu.Unlock()
	for _, sc := range StreamConfigs(w.cfg.Streams) {
		_, err := w.js.Stream(ctx, sc.Name)
		if err == nil || !errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if _, err := w.js.CreateStream(ctx, sc); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			w.log.Warn("stream is missing and re-creating it failed; retrying", zap.String("stream", sc.Name), zap.Error(err))
			continue
		}
		w.log.Warn("stream was missing; re-created it (jobs it held are gone)", zap.String("stream", sc.Name))
	}
	if kv, err := ensureHandbacks(ctx, w.js, w.cfg.Streams); err == nil {
		w.mu.Lock()
		w.kv = kv
		w.mu.Unlock()
	}
}

// missing reports whether err says a stream or consumer does not exist.
func missing(err error) bool {
	return errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerDoesNotExist)
}
