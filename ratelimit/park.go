package ratelimit

import (
	"time"

	"github.com/couponq/couponq/clock"
)

// This file keeps a slow key's driver from holding a goroutine while it
// waits for its next slot to come within reach. A key limited to 0.1/s
// waits about ten seconds between reservations; with thousands of such
// keys, the drivers' sleeping goroutines were most of a worker's memory
// (their stacks, and the heap headroom the garbage collector grants in
// proportion to them). A driver that has to wait at least parkAfter ends
// instead and a timer starts it again when the wait is over.

// parkAfter is the shortest wait for which a driver parks. Shorter waits
// (a busy key's next slot) sleep in the goroutine as before: starting a
// goroutine per slot would cost more than it saves.
const parkAfter = 100 * time.Millisecond

// park ends the driver for d: a timer (no goroutine with the system clock)
// starts it again then, unless the Limiter closed meanwhile. q.running
// stays true, so take does not start a second driver; callers that come
// meanwhile queue up and are served when it is back, as they would be by a
// sleeping driver.
func (q *keyQueue) park(d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.unpark = clock.AfterFunc(q.l.cfg.Clock, d, q.resume)
}

// resume starts the parked driver again.
func (q *keyQueue) resume() {
	q.mu.Lock()
	q.unpark = nil
	q.mu.Unlock()
	q.l.goDriver(q)
}

// stopParked stops the timers of parked drivers (Close), so none is left
// behind with a test's clock.
func (l *Limiter) stopParked() {
	for _, q := range l.queueList() {
		q.mu.Lock()
		if q.unpark != nil {
			q.unpark()
			q.unpark = nil
		}
		q.mu.Unlock()
	}
}
