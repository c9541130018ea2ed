package faultsbench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
)

// tracker remembers, per job of a fault row, when it was enqueued and when
// (and how) its first result arrived, read from the results stream.
type tracker struct {
	mu          sync.Mutex
	enqueued    map[string]time.Time
	arrived     map[string]time.Time
	status      map[string]jobs.Status
	seen        map[string]int // result messages per job
	codes       map[string]int
	unpublished int
	cc          jetstream.ConsumeContext
}

func newTracker(ctx context.Context, js jetstream.JetStream) (*tracker, error) {
	t := &tracker{enqueued: map[string]time.Time{}, arrived: map[string]time.Time{}, status: map[string]jobs.Status{},
		seen: map[string]int{}, codes: map[string]int{}}
	cons, err := js.OrderedConsumer(ctx, jobs.ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{jobs.ResultSubjectPrefix + ">"}, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("results consumer: %w", err)
	}
	if t.cc, err = cons.Consume(t.handle); err != nil {
		return nil, fmt.Errorf("results consumer: %w", err)
	}
	return t, nil
}

func (t *tracker) handle(msg jetstream.Msg) {
	at := time.Now()
	id := msg.Headers().Get(jetstream.MsgIDHeader)
	st := jobs.StatusSucceeded
	code := ""
	if strings.HasSuffix(msg.Subject(), "."+string(jobs.StatusFailed)) {
		st = jobs.StatusFailed
		code = "undecodable"
		if r, err := jobs.DecodeResult(msg.Data()); err == nil && r.Error != nil {
			code = r.Error.Code
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen[id]++
	if _, ok := t.arrived[id]; ok {
		return
	}
	t.arrived[id], t.status[id] = at, st
	if code != "" {
		t.codes[code]++
	}
}

func (t *tracker) stop() { t.cc.Stop() }

// startLoad starts tracking e's results and, in the background, a steady
// load of jobs (ids prefixed with prefix) at rate for d; done closes once
// the load is published. The caller stops the tracker.
func startLoad(ctx context.Context, e *faultEnv, prefix string, rate float64, d time.Duration) (t *tracker, done <-chan struct{}, err error) {
	if t, err = newTracker(ctx, e.js); err != nil {
		return nil, nil, err
	}
	producer := jobs.NewProducer(e.js, jobs.ProducerConfig{})
	published := make(chan struct{})
	go func() {
		defer close(published)
		t.load(ctx, producer, prefix, rate, d)
	}()
	return t, published, nil
}

// load publishes busifavor.use jobs (fresh coupon codes, prefix) at rate
// per second for d, each publish in its own goroutine (at most 256 at
// once) so a stalled NATS does not slow the schedule; a job counts as
// enqueued at its scheduled time.
func (t *tracker) load(ctx context.Context, p *jobs.Producer, prefix string, rate float64, d time.Duration) {
	iv := time.Duration(float64(time.Second) / rate)
	tick := time.NewTicker(iv)
	defer tick.Stop()
	end := time.Now().Add(d)
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	for i := 1; time.Now().Before(end); i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case at := <-tick.C:
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				id := string(jobs.TypeBusifavorUse) + "/" + harness.UseRequestNo(prefix, i)
				t.mu.Lock()
				t.enqueued[id] = at
				t.mu.Unlock()
				pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				if _, err := p.Publish(pctx, jobs.TypeBusifavorUse, harness.UseJob(prefix, i)); err != nil {
					t.mu.Lock()
					delete(t.enqueued, id)
					t.unpublished++
					t.mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
}

// waitAll waits until every enqueued job has a result, or timeout.
func (t *tracker) waitAll(ctx context.Context, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if t.missing() == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (t *tracker) missing() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for id := range t.enqueued {
		if _, ok := t.arrived[id]; !ok {
			n++
		}
	}
	return n
}

// summary is what a fault row measured.
type summary struct {
	jobs, ok, failed, lost, dupResults, unpublished int
	codes                                           map[string]int
	recovery, maxLatency                            time.Duration
}

// summarize computes the row's figures. Recovery is the time from the end
// of the fault (healedAt; its start for a fault that is over at once, such
// as a SIGKILL) until every job enqueued before then had its result.
func (t *tracker) summarize(healedAt time.Time) summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := summary{jobs: len(t.enqueued), unpublished: t.unpublished, codes: map[string]int{}}
	for k, v := range t.codes {
		s.codes[k] = v
	}
	var lastBefore time.Time
	for id, at := range t.enqueued {
		got, ok := t.arrived[id]
		if !ok {
			s.lost++
			continue
		}
		if t.status[id] == jobs.StatusSucceeded {
			s.ok++
		} else {
			s.failed++
		}
		if n := t.seen[id]; n > 1 {
			s.dupResults += n - 1
		}
		s.maxLatency = max(s.maxLatency, got.Sub(at))
		if !at.After(healedAt) && got.After(lastBefore) {
			lastBefore = got
		}
	}
	if !lastBefore.IsZero() {
		s.recovery = max(lastBefore.Sub(healedAt), 0)
	}
	return s
}
