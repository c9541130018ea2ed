// Command worker runs a couponq worker: it pulls coupon jobs from NATS
// JetStream, calls the WeChat Pay APIv3 marketing endpoints under the
// fleet-wide rate limits and publishes one result per job.
//
//	worker [--config config.yaml] [--demo]
//
// With nats.url empty it starts an embedded JetStream server; with
// wechat.sandbox true it starts the built-in WeChat Pay sandbox. --demo feeds
// it the bundled sample jobs on throw-away storage, prints the results and exits.
package main

import "github.com/couponq/couponq/internal/cli"

func main() { cli.Main(cli.Worker) }
