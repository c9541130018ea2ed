package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// errStaleDelivery: a job's call was held while the worker was cut off from
// NATS, long enough that JetStream redelivers the job (its progress signals
// could not reach the server). This delivery sends nothing; the redelivery
// does the work.
var errStaleDelivery = errors.New("held while disconnected from NATS for half of ack_wait or more: the job is redelivered, this delivery sends nothing")

// awaitConnected returns at once when the worker's NATS connection is up.
// Otherwise the result of a call could not be stored, so no call is started:
// it waits for the reconnect (or ctx), and then lets the call go ahead if
// the job is still this worker's, or returns errStaleDelivery when it was
// held for half of ack_wait or more.
func (w *Worker) awaitConnected(ctx context.Context) error {
	nc := w.js.Conn()
	if nc.Status() == nats.CONNECTED {
		return nil
	}
	start := w.cfg.Clock.Now()
	w.log.Warn("not connected to NATS: holding a call until reconnected (its result could not be stored)")
	ch := nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer nc.RemoveStatusListener(ch)
	for {
		switch st := nc.Status(); st {
		case nats.CONNECTED:
			if held := w.cfg.Clock.Now().Sub(start); held >= w.cfg.AckWait/2 {
				return fmt.Errorf("%w (held %s)", errStaleDelivery, held.Round(time.Millisecond))
			}
			w.log.Info("reconnected to NATS: releasing a held call", zap.Duration("held", w.cfg.Clock.Now().Sub(start)))
			return nil
		case nats.CLOSED:
			return fmt.Errorf("%w: NATS connection closed", ErrNoBudget)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
