// Command producer is the smallest order system: it publishes one busifavor
// coupon redemption (busifavor.use) to couponq and waits for its result.
// Copy it into your own service.
//
// Start a worker first; from the repository root, with the shipped defaults
// (embedded JetStream on 127.0.0.1:4222 and the WeChat Pay sandbox):
//
//	go run ./cmd/worker
//
// then, in another terminal:
//
//	go run ./examples/producer --order A-1001 --code DEMO-CODE-1001
//
// Running it again with the same --order publishes the same job again:
// JetStream drops the duplicate and the first result is printed. A new
// --order with the same --code gets the API's "already used" answer.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// The sandbox's fixtures: its one busifavor stock and an AppID it accepts.
const (
	sandboxStockID = "100088"
	sandboxAppID   = "wx233544546545989"
)

func main() {
	natsURL := flag.String("nats", "nats://127.0.0.1:4222", "NATS URL (a worker started with `go run ./cmd/worker` listens here)")
	order := flag.String("order", "A-1001", "order id; the redemption's request number is derived from it")
	code := flag.String("code", "DEMO-CODE-1001", "coupon code to redeem (sandbox stock "+sandboxStockID+")")
	openid := flag.String("openid", "oDemoUser1001", "the user's openid")
	timeout := flag.Duration("timeout", 30*time.Second, "how long to wait for the result")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *natsURL, *order, *code, *openid, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "producer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, natsURL, order, code, openid string, timeout time.Duration) error {
	nc, err := nats.Connect(natsURL, nats.Name("couponq-example-producer"))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	// One Producer per process; it is safe for concurrent use.
	producer := jobs.NewProducer(js, jobs.ProducerConfig{})

	// The request carries the API's own fields. use_request_no is the
	// idempotency key: derive it from the order so that a retry of this
	// program (or of your checkout handler) is the same job, never a second
	// redemption. use_time is left empty: Publish fills it from EventTime.
	request, err := json.Marshal(marketing.BusifavorUseRequest{
		CouponCode:   code,
		StockID:      sandboxStockID,
		AppID:        sandboxAppID,
		UseRequestNo: "ORDER-" + order + "-USE",
		OpenID:       openid,
	})
	if err != nil {
		return err
	}
	// meta is echoed unchanged into the result: put what you need to match
	// the result back to your order.
	meta, err := json.Marshal(map[string]string{"order_id": order})
	if err != nil {
		return err
	}
	paidAt := time.Now() // the business event; in a real system, the order's payment time

	pub, err := producer.Publish(ctx, jobs.TypeBusifavorUse,
		jobs.Job{Request: request, Meta: meta}, jobs.EventTime(paidAt))
	var invalid *jobs.InvalidJobError
	if errors.As(err, &invalid) {
		return fmt.Errorf("the job is invalid, nothing was published: %w", err)
	}
	if err != nil {
		return err // NATS unreachable past the retry time, or the jobs stream is full
	}
	fmt.Printf("published %s: stream sequence %d, duplicate %v\n", pub.MsgID, pub.Sequence, pub.Duplicate)

	// Wait for the one result of this job. A duplicate's result may be old,
	// so then read the whole results stream; otherwise only recent results.
	since := paidAt.Add(-time.Minute)
	if pub.Duplicate {
		since = time.Time{}
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	results, err := jobs.AwaitResults(wctx, js, []string{pub.MsgID}, since, nil)
	if err != nil {
		return fmt.Errorf("no result yet (is a worker running?): %w", err)
	}
	r := results[pub.MsgID]
	fmt.Printf("result: %s after %d attempt(s), HTTP %d, worker %s\n", r.Status, r.Attempts, r.HTTPStatus, r.Worker)
	if r.Error != nil {
		fmt.Printf("error: %s: %s (retryable: %v)\n", r.Error.Code, r.Error.Message, r.Error.Retryable)
	}
	if len(r.Response) > 0 {
		fmt.Printf("response: %s\n", r.Response)
	}
	fmt.Printf("meta: %s\n", r.Meta)
	return nil
}
