package worker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// flowRunner serves one flow in this worker: while any of its groups has
// work it reserves the flow's next rate slot, waits until the slot is nearly
// due, and only then picks the job to send with it — the most urgent
// priority with work, and among that priority's fairness keys the next one
// in turn — so a job that arrives meanwhile with a higher priority takes
// that slot. Jobs are fetched one at a time from the group's own consumer:
// nothing is read ahead of its slot, and no flow ever waits on another's
// queue or budget.
type flowRunner struct {
	d    *dispatcher
	flow Flow
	sem  chan struct{} // this flow's bound on jobs held by this worker

	mu      sync.Mutex
	groups  map[string]*groupState // by subject
	last    [6]string              // per priority: the fairness key served last
	running bool
	parked  *parking  // while the runner waits for a far slot (flowpark.go)
	busy    [6]int    // jobs held, per priority
	idleAt  time.Time // when the runner last stopped (idleflows.go)
	retired bool      // dropped from the dispatcher's map (idleflows.go)
}

// groupState is this worker's view of one group.
type groupState struct {
	group
	subject string
	pending bool   // may have fetchable jobs
	gen     uint64 // bumped by every notice, so a stale "empty" does not clear a new one
	cons    jetstream.Consumer
	idleAt  time.Time // when it was last found empty (idleflows.go)
	backlog uint64    // jobs behind the last one fetched (its NumPending)
}

func newFlowRunner(d *dispatcher, f Flow) *flowRunner {
	return &flowRunner{d: d, flow: f, sem: make(chan struct{}, d.w.concurrency(f.Type)), groups: map[string]*groupState{}}
}

// notify marks g as having work and starts the runner if it is not running.
// It reports false, doing nothing, when f was dropped as idle: the caller
// looks the flow up again.
func (f *flowRunner) notify(g group, subject string) bool {
	f.mu.Lock()
	if f.retired {
		f.mu.Unlock()
		return false
	}
	gs := f.groups[subject]
	if gs == nil {
		gs = &groupState{group: g, subject: subject}
		f.groups[subject] = gs
	}
	gs.pending = true
	gs.gen++
	start := !f.running
	f.running = true
	f.mu.Unlock()
	if start {
		f.d.wg.Add(1)
		go f.run()
	}
	return true
}

// run serves the flow until no group has work or the worker stops.
func (f *flowRunner) run() {
	defer f.d.wg.Done()
	ctx := f.d.ctx
	for {
		if ctx.Err() != nil || !f.hasWork() || f.d.w.pauses.is(f.flow.Type) {
			f.mu.Lock()
			if ctx.Err() == nil && f.hasWorkLocked() && !f.d.w.pauses.is(f.flow.Type) {
				f.mu.Unlock()
				continue // work arrived as we were leaving
			}
			f.running = false
			f.idleAt = f.d.w.cfg.Clock.Now()
			f.mu.Unlock()
			return
		}
		if !acquire(ctx, f.sem) {
			continue
		}
		slot, later, err := reserveOrDefer(ctx, f.d.w.cfg.Budget, f.flow, f.ahead())
		if err != nil {
			<-f.sem
			if ctx.Err() == nil {
				f.d.w.log.Warn("no rate budget for flow; retrying", zap.Stringer("flow", f.flow), zap.Error(err))
				f.d.w.sleep(ctx, time.Second)
			}
			continue
		}
		if slot == nil {
			// The flow's next slot is far: stop until it is near (flowpark.go).
			<-f.sem
			f.park(later)
			return
		}
		// Decide as late as the slot allows, so the most urgent job wins it.
		if wait := slot.Due() - f.d.w.cfg.DecisionLead; wait > 0 && !f.d.w.sleep(ctx, wait) {
			slot.Release()
			<-f.sem
			continue
		}
		// The worker-wide bound counts jobs held, so it is taken only now: a
		// runner waiting for its slot holds no job, and holding the bound
		// meanwhile would keep other flows' due jobs waiting (with 2,000 slow
		// flows, 1,024 runners held it for up to 10 s each).
		if !acquire(ctx, f.d.sem) {
			slot.Release()
			<-f.sem
			continue
		}
		release := func() { <-f.d.sem; <-f.sem }
		if overrun(slot) {
			// Waiting for the bound overran the slot: a job fetched now
			// could not be sent with it. Reserve again, holding nothing.
			slot.Release()
			release()
			continue
		}
		gs, msg := f.next(ctx)
		if msg == nil {
			slot.Release()
			release()
			continue
		}
		f.hold(gs.Priority, 1)
		f.d.wg.Add(1)
		go func() {
			defer f.d.wg.Done()
			defer release()
			defer f.hold(gs.Priority, -1)
			f.d.w.handleFlowJob(ctx, f.d.hard, f, gs.subject, msg, slot)
		}()
	}
}

func acquire(ctx context.Context, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *flowRunner) hold(prio, n int) {
	f.mu.Lock()
	f.busy[prio] += n
	f.mu.Unlock()
}

func (f *flowRunner) inFlightByPriority() map[int]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int]int{}
	for p, n := range f.busy {
		out[p] = n
	}
	return out
}

// ahead is how many more slots the runner will want right after this one:
// the backlog its groups reported at their last fetch, bounded by the
// jobs it may still hold (a pooled slot it cannot use in time is lost).
func (f *flowRunner) ahead() int {
	f.mu.Lock()
	var n uint64
	for _, gs := range f.groups {
		if gs.pending {
			n += gs.backlog
		}
	}
	f.mu.Unlock()
	free := cap(f.sem) - len(f.sem)
	return int(min(n, uint64(max(free, 0))))
}

func (f *flowRunner) hasWork() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hasWorkLocked()
}

func (f *flowRunner) hasWorkLocked() bool {
	for _, gs := range f.groups {
		if gs.pending {
			return true
		}
	}
	return false
}

// candidates lists the groups with work in serving order: most urgent
// priority first; within a priority, fairness keys in turn after the one
// served last.
func (f *flowRunner) candidates() []*groupState {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*groupState
	for _, gs := range f.groups {
		if gs.pending {
			out = append(out, gs)
		}
	}
	slices.SortFunc(out, func(a, b *groupState) int {
		if a.Priority != b.Priority {
			return a.Priority - b.Priority
		}
		// Keys after the last served come first (round-robin), then the rest.
		la, lb := a.Key > f.last[a.Priority], b.Key > f.last[b.Priority]
		if la != lb {
			if la {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// next fetches one job from the first group, in serving order, that has
// one. Groups found empty stop counting as having work.
func (f *flowRunner) next(ctx context.Context) (*groupState, jetstream.Msg) {
	for _, gs := range f.candidates() {
		if ctx.Err() != nil {
			return nil, nil
		}
		f.mu.Lock()
		gen := gs.gen
		f.mu.Unlock()
		msg, rest, err := f.fetch(ctx, gs)
		f.mu.Lock()
		if err != nil || (!rest.more && gs.gen == gen) {
			gs.pending = false
			gs.idleAt = f.d.w.cfg.Clock.Now()
		}
		gs.backlog = rest.backlog
		if msg != nil {
			f.last[gs.Priority] = gs.Key
		}
		f.mu.Unlock()
		if err != nil {
			f.d.w.log.Warn("fetching from group failed", zap.String("group", gs.subject), zap.Error(err))
		}
		if msg != nil {
			return gs, msg
		}
	}
	return nil, nil
}

// behind is what a fetch learned of the group's jobs behind the one it
// took.
type behind struct {
	// more says whether the group may have more to fetch now.
	more bool
	// backlog is how many jobs never delivered follow (NumPending).
	backlog uint64
}

// fetch takes one job from gs's consumer without waiting, and says what
// is behind it. A consumer that has gone (memory storage: lost with a
// restarted server, or deleted while idle) is created again and asked once
// more at once, so the first job after a restart does not wait for the
// next scan.
func (f *flowRunner) fetch(ctx context.Context, gs *groupState) (jetstream.Msg, behind, error) {
	cached := gs.cons != nil
	msg, b, err := f.fetchOnce(ctx, gs)
	if err != nil && cached && msg == nil && ctx.Err() == nil {
		return f.fetchOnce(ctx, gs)
	}
	return msg, b, err
}

func (f *flowRunner) fetchOnce(ctx context.Context, gs *groupState) (jetstream.Msg, behind, error) {
	if gs.cons == nil {
		cons, err := ensureGroupConsumer(ctx, f.d.w.js, gs.subject, &f.d.w.cfg)
		if err != nil {
			return nil, behind{}, err
		}
		gs.cons = cons
	}
	batch, err := gs.cons.FetchNoWait(1)
	if err != nil {
		gs.cons = nil // created again next time (deleted while idle, or lost)
		return nil, behind{}, err
	}
	var msg jetstream.Msg
	for m := range batch.Messages() {
		msg = m
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
		gs.cons = nil
		return msg, behind{}, err
	}
	if msg == nil {
		return nil, behind{}, nil
	}
	b := behind{more: true}
	if md, err := msg.Metadata(); err == nil {
		// NumPending counts only jobs never delivered: after a redelivery
		// (a crashed worker's jobs) more may be due for redelivery too, so
		// look again rather than wait for the next scan.
		b = behind{more: md.NumPending > 0 || md.NumDelivered > 1, backlog: md.NumPending}
	}
	return msg, b, nil
}

// overrun says whether slot is already too late to send with (a Slot that
// can tell: ratelimit's Late).
func overrun(slot Slot) bool {
	l, ok := slot.(interface{ Late() (time.Duration, bool) })
	if !ok {
		return false
	}
	_, safe := l.Late()
	return !safe
}
