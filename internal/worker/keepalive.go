package worker

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/clock"
)

// keepAlive tells JetStream every interval that msg is still being worked
// on (a budget wait or a slow call), so AckWait does not redeliver it to
// another worker. The returned function stops it.
func keepAlive(clk clock.Clock, msg jetstream.Msg, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for clock.Sleep(clk, interval, done) {
			_ = msg.InProgress()
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
