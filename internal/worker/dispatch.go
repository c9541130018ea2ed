package worker

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/couponq/couponq/clock"
)

// dispatcher knows which groups have work and runs one flow runner per flow
// with work. It learns of work from intake's wake notices (core NATS, at
// once) and from a periodic scan of the flows stream's subjects (a safety
// net for notices missed while starting or disconnected, and for delayed
// retries of other workers). An idle flow has no goroutine, and after
// flowIdle no map entry either (idleflows.go).
type dispatcher struct {
	w    *Worker
	sem  chan struct{} // the worker-wide bound on jobs held
	ctx  context.Context
	hard context.Context
	wg   sync.WaitGroup // runners and the jobs they started

	mu      sync.Mutex
	flows   map[Flow]*flowRunner
	backlog map[string]uint64 // last scan: messages per group subject
}

func newDispatcher(w *Worker, ctx, hard context.Context) *dispatcher {
	return &dispatcher{
		w: w, sem: make(chan struct{}, w.cfg.MaxInFlight), ctx: ctx, hard: hard,
		flows: map[Flow]*flowRunner{}, backlog: map[string]uint64{},
	}
}

// notify marks a group subject as having work and makes sure its flow runs.
func (d *dispatcher) notify(subject string) {
	g, ok := parseGroup(subject)
	if !ok || d.ctx.Err() != nil {
		return
	}
	for {
		d.mu.Lock()
		f := d.flows[g.Flow]
		if f == nil {
			f = newFlowRunner(d, g.Flow)
			d.flows[g.Flow] = f
		}
		d.mu.Unlock()
		if f.notify(g, subject) {
			return
		}
		d.mu.Lock()
		if d.flows[g.Flow] == f { // dropped as idle just now
			delete(d.flows, g.Flow)
		}
		d.mu.Unlock()
	}
}

// notifyAfter marks subject as having work after delay (a retry scheduled
// with NakWithDelay becomes fetchable then).
func (d *dispatcher) notifyAfter(subject string, delay time.Duration) {
	clock.AfterFunc(d.w.cfg.Clock, delay, func() { d.notify(subject) })
}

// subscribe listens for intake's wake notices.
func (d *dispatcher) subscribe(nc *nats.Conn) (*nats.Subscription, error) {
	return nc.Subscribe(WakeSubjectPrefix+">", func(m *nats.Msg) { d.notify(string(m.Data)) })
}

// scanLoop rescans the flows stream every ScanInterval until ctx ends.
func (d *dispatcher) scanLoop() {
	for {
		d.scan()
		d.dropIdle(d.w.cfg.Clock.Now())
		if !clock.Sleep(d.w.cfg.Clock, d.w.cfg.ScanInterval, d.ctx.Done()) {
			return
		}
	}
}

// scan reads the per-subject message counts of the flows stream and
// notifies every group that has messages.
func (d *dispatcher) scan() {
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	counts, err := SubjectCounts(ctx, d.w.js, FlowsStream, FlowSubjectPrefix+">")
	if err != nil {
		if d.ctx.Err() == nil {
			d.w.log.Warn("scanning flows failed; relying on wake notices until the next scan", zap.Error(err))
			if missing(err) {
				d.w.repair.streams(ctx, d.w)
			}
		}
		return
	}
	d.mu.Lock()
	d.backlog = counts
	d.mu.Unlock()
	for subj, n := range counts {
		if n > 0 {
			d.notify(subj)
		}
	}
}

// wait returns when every runner and job has finished.
func (d *dispatcher) wait() { d.wg.Wait() }

// FlowStat is what one group (merchant account, job type, priority)
// looks like from this worker: its backlog in the flows stream (fleet-wide,
// as of the last scan, jobs held by any worker included) and the jobs this
// worker holds now.
type FlowStat struct {
	Flow
	Priority int
	Backlog  uint64
	InFlight int
}

// stats sums the last scan and this worker's in-flight jobs per
// (flow, priority).
func (d *dispatcher) stats() []FlowStat {
	type key struct {
		f Flow
		p int
	}
	acc := map[key]*FlowStat{}
	get := func(k key) *FlowStat {
		if s := acc[k]; s != nil {
			return s
		}
		s := &FlowStat{Flow: k.f, Priority: k.p}
		acc[k] = s
		return s
	}
	d.mu.Lock()
	for subj, n := range d.backlog {
		if g, ok := parseGroup(subj); ok {
			get(key{g.Flow, g.Priority}).Backlog += n
		}
	}
	runners := make([]*flowRunner, 0, len(d.flows))
	for _, f := range d.flows {
		runners = append(runners, f)
	}
	d.mu.Unlock()
	for _, f := range runners {
		for p, n := range f.inFlightByPriority() {
			if n > 0 {
				get(key{f.flow, p}).InFlight += n
			}
		}
	}
	out := make([]FlowStat, 0, len(acc))
	for _, s := range acc {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b FlowStat) int {
		switch {
		case a.MchID != b.MchID:
			return strings.Compare(a.MchID, b.MchID)
		case a.Type != b.Type:
			return strings.Compare(string(a.Type), string(b.Type))
		}
		return a.Priority - b.Priority
	})
	return out
}
