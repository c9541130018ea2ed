package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrStop, returned by a scan callback (ScanDeadLetters, ScanResults),
// ends the scan early without an error.
var ErrStop = errors.New("stop scan")

// scan reads the messages of stream that match cfg in order, calling fn for
// each, until the messages stored when it started are read (or, with
// follow, until ctx ends). A missing stream is an empty one.
func scan(ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.OrderedConsumerConfig, follow bool, fn func(jetstream.Msg) error) error {
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if follow {
			return fmt.Errorf("stream %s does not exist (has a worker ever run?)", stream)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	if info.NumPending == 0 && !follow {
		return nil
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				if follow {
					return nil
				}
				return fmt.Errorf("read %s: %w", stream, ctx.Err())
			}
			return fmt.Errorf("read %s: %w", stream, err)
		}
		if err := fn(msg); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
		md, err := msg.Metadata()
		if err == nil && md.NumPending == 0 && !follow {
			return nil
		}
	}
}
