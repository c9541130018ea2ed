package worker

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// keepAlive tells JetStream every interval that msg is still being worked
// on (a budget wait or a slow call), so AckWait does not redeliver it to
// another worker. The returned function stops it.
func keepAlive(msg jetstream.Msg, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = msg.InProgress()
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
