package harness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// Watcher reads every result as it is stored: it counts them by type and
// status, remembers why jobs failed, and records when the results of
// tracked jobs (the redemptions) arrive. It decodes only failed results,
// so it costs little CPU at 500 results per second.
type Watcher struct {
	track func(msgID string) bool

	mu       sync.Mutex
	counts   map[jobs.Type][2]int // succeeded, failed
	failures map[string]int       // "<type> <code>"
	arrivals map[string]time.Time
	first    map[jobs.Type]chan struct{}
	cc       jetstream.ConsumeContext
}

// WatchResults starts reading the results stream from its beginning. first
// lists the types whose first result firstResult waits for; track selects
// the message ids whose arrival time is recorded.
func WatchResults(ctx context.Context, js jetstream.JetStream, track func(string) bool, first ...jobs.Type) (*Watcher, error) {
	w := &Watcher{
		track:    track,
		counts:   map[jobs.Type][2]int{},
		failures: map[string]int{},
		arrivals: map[string]time.Time{},
		first:    map[jobs.Type]chan struct{}{},
	}
	for _, t := range first {
		w.first[t] = make(chan struct{})
	}
	cons, err := js.OrderedConsumer(ctx, jobs.ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{jobs.ResultSubjectPrefix + ">"},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("results consumer: %w", err)
	}
	if w.cc, err = cons.Consume(w.handle); err != nil {
		return nil, fmt.Errorf("results consumer: %w", err)
	}
	return w, nil
}

func (w *Watcher) handle(msg jetstream.Msg) {
	at := time.Now()
	// couponq.results.<type>.<status>; the type itself contains a dot.
	rest := strings.TrimPrefix(msg.Subject(), jobs.ResultSubjectPrefix)
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return
	}
	t, status := jobs.Type(rest[:i]), jobs.Status(rest[i+1:])
	msgID := msg.Headers().Get("Nats-Msg-Id")
	code := ""
	if status == jobs.StatusFailed {
		code = "undecodable"
		if r, err := jobs.DecodeResult(msg.Data()); err == nil && r.Error != nil {
			code = r.Error.Code
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.counts[t]
	if status == jobs.StatusFailed {
		c[1]++
		w.failures[string(t)+" "+code]++
	} else {
		c[0]++
	}
	w.counts[t] = c
	if w.track != nil && w.track(msgID) {
		if _, seen := w.arrivals[msgID]; !seen {
			w.arrivals[msgID] = at
		}
	}
	if ch, ok := w.first[t]; ok {
		close(ch)
		delete(w.first, t)
	}
}

// FirstResult waits for the first result of t (t must have been named to
// WatchResults), or until ctx ends.
func (w *Watcher) FirstResult(ctx context.Context, t jobs.Type) error {
	w.mu.Lock()
	ch, ok := w.first[t]
	w.mu.Unlock()
	if !ok {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no %s result yet: %w", t, ctx.Err())
	}
}

// Arrival returns when the result with msgID arrived.
func (w *Watcher) Arrival(msgID string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at, ok := w.arrivals[msgID]
	return at, ok
}

// Latencies returns, for each message id in starts, the time from its start
// to its result, waiting up to resultGrace for results still missing (it
// polls the watcher: the results arrive on another goroutine); missing
// counts those that never came.
func (w *Watcher) Latencies(ctx context.Context, starts map[string]time.Time) (queued []time.Duration, missing int) {
	deadline := time.Now().Add(ResultGrace)
	for id, start := range starts {
		for {
			if at, ok := w.Arrival(id); ok {
				queued = append(queued, at.Sub(start))
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				missing++
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return queued, missing
}

// FailureSummary lists failed results as "<type> <code> ×n", sorted.
func (w *Watcher) FailureSummary() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k, n := range w.failures {
		out = append(out, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(out)
	return out
}

// Stop stops reading.
func (w *Watcher) Stop() { w.cc.Stop() }

// Total returns how many results of t arrived.
func (w *Watcher) Total(t jobs.Type) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.counts[t]
	return c[0] + c[1]
}

// WaitTotal waits until n results of t arrived, or until d passes; it
// returns when the n-th arrived (zero time on timeout).
func (w *Watcher) WaitTotal(ctx context.Context, t jobs.Type, n int, d time.Duration) time.Time {
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		if w.Total(t) >= n {
			return time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}
}

// ArrivalsWithPrefix returns the arrival times of the tracked results
// whose message id starts with prefix, sorted.
func (w *Watcher) ArrivalsWithPrefix(prefix string) []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Time
	for id, at := range w.arrivals {
		if strings.HasPrefix(id, prefix) {
			out = append(out, at)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// CountPrefix counts the tracked results whose id starts with prefix.
func (w *Watcher) CountPrefix(prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for id := range w.arrivals {
		if strings.HasPrefix(id, prefix) {
			n++
		}
	}
	return n
}

// PerFlowTimes groups the arrivals by flow (the id prefix up to the job
// number) and returns each flow's first result after start and the span
// from its first to its last result.
func (w *Watcher) PerFlowTimes(start time.Time) (first, spread []time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	type span struct{ lo, hi time.Time }
	flows := map[string]*span{}
	for id, at := range w.arrivals {
		i := strings.LastIndexByte(id, '-')
		if i < 0 {
			continue
		}
		s := flows[id[:i]]
		if s == nil {
			flows[id[:i]] = &span{at, at}
			continue
		}
		if at.Before(s.lo) {
			s.lo = at
		}
		if at.After(s.hi) {
			s.hi = at
		}
	}
	for _, s := range flows {
		first = append(first, s.lo.Sub(start))
		spread = append(spread, s.hi.Sub(s.lo))
	}
	return first, spread
}
