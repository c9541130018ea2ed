package ratelimit_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/ratelimit"
)

// A worker paces every API attempt with Wait and reports 429s with Throttled.
// Wait's context bounds how long a delivered job may wait for budget; when it
// ends, the job goes back to the stream without counting an attempt.
func Example() {
	ctx := context.Background()
	nc, err := nats.Connect(nats.DefaultURL)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	lim, err := ratelimit.New(ctx, js, ratelimit.Config{
		WorkerID: "worker-7f3a",
		Limits:   map[string]float64{"busifavor.use": 500, "product_coupon.update": 20},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer lim.Close()
	go func() { _ = lim.Run(ctx) }() // heartbeat and clock sync

	key := ratelimit.Key{MchID: "1900000001", Type: "product_coupon.update"}
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Second) // well under the consumer's AckWait
	defer cancel()
	if _, err := lim.Wait(waitCtx, key); err != nil {
		if errors.Is(err, ratelimit.ErrUnavailable) {
			log.Print("NATS unreachable: sending nothing, the job is redelivered later")
		}
		return // Nak the job with a delay; it did not use an attempt
	}
	status := callAPI() // exactly one request per successful Wait
	if status == 429 {
		lim.Throttled(ctx, key) // the whole fleet slows down for this key
	}
}

func callAPI() int { return 200 }
