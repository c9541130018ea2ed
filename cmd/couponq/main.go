// Command couponq is the operators' tool: dead letters (list, show, replay,
// purge), results, campaigns (watch), queue stats and pausing a job type.
// It needs only the NATS settings of the config file, never a merchant key.
//
//	couponq stats
//	couponq dlq list [--type T] [--code C] [--class operational|rejected|--all]
//	couponq dlq replay --code RETRIES_EXHAUSTED [--dry-run]
//	couponq watch CAMPAIGN --report failures.csv
//	couponq results --campaign C --status failed
//	couponq pause product_coupon.update --reason "price list being fixed"
//
// Run `couponq --help` for every command.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/couponq/couponq/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.RunAdmin(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
