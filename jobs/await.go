package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// AwaitResults reads the results stream until it has seen a result for every
// message id in want ("<type>/<id>"), calling onResult for each as it
// arrives, and returns them keyed by message id. It reads results stored at
// or after since (zero: the whole stream, needed when a job was a duplicate
// of an earlier one). When ctx ends first it returns what it found and an
// error naming how many are missing.
func AwaitResults(ctx context.Context, js jetstream.JetStream, want []string, since time.Time, onResult func(*Result)) (map[string]*Result, error) {
	found := make(map[string]*Result, len(want))
	if len(want) == 0 {
		return found, nil
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wanted := make(map[string]bool, len(want))
	subjects := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
		t := typeOfMsgID(id)
		subjects[ResultSubjectPrefix+t+".>"] = true
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	for s := range subjects {
		cfg.FilterSubjects = append(cfg.FilterSubjects, s)
	}
	if !since.IsZero() {
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		st := since
		cfg.OptStartTime = &st
	}
	cons, err := orderedConsumer(ctx, js, cfg)
	if err != nil {
		return found, fmt.Errorf("await results: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return found, fmt.Errorf("await results: %w", err)
	}
	defer it.Stop()
	go func() {
		<-ctx.Done()
		it.Stop()
	}()
	for len(found) < len(wanted) {
		msg, err := it.Next()
		if err != nil {
			if parent.Err() != nil {
				return found, fmt.Errorf("await results: %d of %d results missing: %w", len(wanted)-len(found), len(wanted), parent.Err())
			}
			return found, fmt.Errorf("await results: %w", err)
		}
		id := msg.Headers().Get("Nats-Msg-Id")
		if !wanted[id] || found[id] != nil {
			continue
		}
		r, err := DecodeResult(msg.Data())
		if err != nil {
			return found, fmt.Errorf("await results: result %s is not valid JSON: %w", id, err)
		}
		found[id] = r
		if onResult != nil {
			onResult(r)
		}
	}
	return found, nil
}

// typeOfMsgID returns the "<type>" part of "<type>/<id>".
func typeOfMsgID(msgID string) string {
	for i := 0; i < len(msgID); i++ {
		if msgID[i] == '/' {
			return msgID[:i]
		}
	}
	return msgID
}

// orderedConsumer opens an ordered consumer on the results stream, waiting
// for the stream to exist: a worker that is just starting creates it a
// moment after the jobs stream.
func orderedConsumer(ctx context.Context, js jetstream.JetStream, cfg jetstream.OrderedConsumerConfig) (jetstream.Consumer, error) {
	retry := time.NewTicker(100 * time.Millisecond)
	defer retry.Stop()
	missing := false
	for {
		cons, err := js.OrderedConsumer(ctx, ResultsStream, cfg)
		switch {
		case err == nil:
			return cons, nil
		case errors.Is(err, jetstream.ErrStreamNotFound):
			missing = true
		case missing && ctx.Err() != nil:
			// The context ended while we were still waiting for the stream.
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stream %s does not exist (is a worker running?): %w", ResultsStream, ctx.Err())
		case <-retry.C:
		}
	}
}
