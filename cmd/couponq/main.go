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

import "github.com/couponq/couponq/internal/cli"

func main() { cli.Main(cli.RunAdmin) }
