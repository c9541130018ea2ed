package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/jobs"
)

// lane pulls and processes jobs of one type. Each lane has its own durable
// consumer and its own bound on jobs held, so a backlog (or a budget wait)
// of one type never holds capacity another type needs.
type lane struct {
	w     *Worker
	typ   jobs.Type
	cons  jetstream.Consumer
	slots chan struct{}
	log   *zap.Logger
}

func newLane(w *Worker, t jobs.Type, cons jetstream.Consumer) *lane {
	return &lane{
		w:     w,
		typ:   t,
		cons:  cons,
		slots: make(chan struct{}, w.concurrency(t)),
		log:   w.log.With(zap.String("type", string(t))),
	}
}

// run pulls only as many jobs as it has free slots, so jobs wait in the
// stream (where any worker can take them) rather than in this process's
// buffers. It returns when ctx ends and every job it holds is settled;
// hard cancels in-flight calls.
func (l *lane) run(ctx, hard context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	fill:
		for n < cap(l.slots) {
			select {
			case l.slots <- struct{}{}:
				n++
			default:
				break fill
			}
		}
		got, err := l.fetch(ctx, hard, n, &wg)
		for i := got; i < n; i++ {
			<-l.slots
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			l.log.Warn("fetching jobs failed; retrying", zap.Error(err))
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
		}
	}
}

// fetch pulls up to n jobs and starts a goroutine per job; it returns how
// many it started (each releases its slot when settled).
func (l *lane) fetch(ctx, hard context.Context, n int, wg *sync.WaitGroup) (int, error) {
	fctx, cancel := context.WithTimeout(ctx, l.w.cfg.FetchWait)
	defer cancel()
	batch, err := l.cons.Fetch(n, jetstream.FetchContext(fctx))
	if err != nil {
		return 0, err
	}
	got := 0
	for msg := range batch.Messages() {
		got++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-l.slots }()
			l.w.handle(ctx, hard, l.typ, msg)
		}()
	}
	if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && !errors.Is(err, jetstream.ErrNoMessages) {
		return got, err
	}
	return got, nil
}
