package worker

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/clock"
)

// keepAlive tells JetStream every interval that msg is still being worked
// on (a budget wait or a slow call), so AckWait does not redeliver it to
// another worker. The returned function stops it; once it has returned no
// further progress signal is sent.
//
// Most jobs finish long before the first signal is due, so nothing waits
// meanwhile: one timer (clock.AfterFunc, time.AfterFunc on the system
// clock) is armed and stopped per job, and re-armed from its own callback
// while the job is held. A goroutine and a timer per job, parked until the
// job ended, cost two extra goroutine hand-offs per job on the hot path.
func keepAlive(clk clock.Clock, msg jetstream.Msg, interval time.Duration) (stop func()) {
	h := &heartbeat{clk: clk, msg: msg, interval: interval}
	h.mu.Lock()
	h.cancel = clock.AfterFunc(clk, interval, h.beat)
	h.mu.Unlock()
	return h.stop
}

// heartbeat is one held job's progress signal.
type heartbeat struct {
	clk      clock.Clock
	msg      jetstream.Msg
	interval time.Duration

	mu      sync.Mutex
	stopped bool
	cancel  func() // stops the armed timer
}

// beat signals progress and arms the next beat, unless stopped. The lock is
// held while signalling, so stop waits for a signal under way.
func (h *heartbeat) beat() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	_ = h.msg.InProgress()
	h.cancel = clock.AfterFunc(h.clk, h.interval, h.beat)
}

func (h *heartbeat) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.cancel()
}
