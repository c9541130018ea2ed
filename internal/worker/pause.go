package worker

import (
	"context"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/jobs"
)

// pauses follows the operators' pause switches (key pause.<type> in the
// control bucket, set by `couponq pause`): flow runners of a paused type
// send nothing more; jobs keep arriving and wait in their flows. Resuming
// rescans the flows so the runners start again.
type pauses struct {
	mu     sync.Mutex
	paused map[jobs.Type]bool
}

func (p *pauses) is(t jobs.Type) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused[t]
}

// watch applies the control bucket's pause keys until ctx ends; resumed is
// called after a type is resumed.
func (p *pauses) watch(ctx context.Context, js jetstream.JetStream, log *zap.Logger, resumed func()) {
	kv, err := js.KeyValue(ctx, jobs.ControlBucket)
	if err != nil {
		log.Warn("pause switches unavailable: control bucket not found", zap.Error(err))
		return
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		log.Warn("pause switches unavailable", zap.Error(err))
		return
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue // end of the initial values
			}
			t, found := strings.CutPrefix(e.Key(), "pause.")
			if !found {
				continue
			}
			on := e.Operation() == jetstream.KeyValuePut
			p.mu.Lock()
			if p.paused == nil {
				p.paused = map[jobs.Type]bool{}
			}
			was := p.paused[jobs.Type(t)]
			p.paused[jobs.Type(t)] = on
			p.mu.Unlock()
			switch {
			case on && !was:
				log.Warn("job type paused by an operator: nothing more is sent until it is resumed", zap.String("type", t))
			case !on && was:
				log.Info("job type resumed", zap.String("type", t))
				resumed()
			}
		}
	}
}

// Paused reports whether an operator has paused job type t (as this worker
// last saw the control bucket).
func (w *Worker) Paused(t jobs.Type) bool { return w.pauses.is(t) }
