package worker

import (
	"context"
	"time"

	"github.com/couponq/couponq/clock"
)

// This file lets a flow runner wait for a far slot without a goroutine. A
// slow flow (a merchant account at 0.1 jobs/s) waits about ten seconds for
// each next slot; with thousands of them, runners blocked in the budget
// were most of a worker's memory. When the budget says the flow's next slot
// is far (Deferrer), the runner stops instead, holding no slot, no job and
// no bound, and a timer starts it again when a reservation may succeed.
// The flow counts as running meanwhile: a notice does not start a second
// runner, and new work waits for the timer as it would have waited for the
// slot. A runner that is parked when the worker stops simply ends.

// parking is one parked spell of a runner: its timer and its stop hook.
type parking struct {
	stopTimer func()
	stopCtx   func() bool
}

// park ends the calling runner's goroutine for d; the runner still counts
// as running, and in the dispatcher's wait group, until a timer starts it
// again or the worker stops.
func (f *flowRunner) park(d time.Duration) {
	f.d.wg.Add(1) // the running goroutine still holds its own: never zero here
	p := &parking{}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.parked = p
	p.stopTimer = clock.AfterFunc(f.d.w.cfg.Clock, d, func() { f.unpark(p, true) })
	p.stopCtx = context.AfterFunc(f.d.ctx, func() { f.unpark(p, false) })
}

// unpark ends parked spell p once: resume starts the runner again (its
// timer); otherwise the worker is stopping and the runner ends.
func (f *flowRunner) unpark(p *parking, resume bool) {
	f.mu.Lock()
	if f.parked != p {
		f.mu.Unlock()
		return
	}
	f.parked = nil
	if !resume {
		f.running = false
		f.idleAt = f.d.w.cfg.Clock.Now()
	}
	f.mu.Unlock()
	if resume {
		p.stopCtx()
		go f.run()
		return
	}
	p.stopTimer()
	f.d.wg.Done()
}
