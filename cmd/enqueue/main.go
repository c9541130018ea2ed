// Command enqueue publishes couponq jobs to NATS JetStream.
//
//	enqueue --type busifavor.use --request '{"coupon_code":...}' [--wait]
//	enqueue --file jobs.jsonl [--wait]
//	echo '{"type":"busifavor.stock.get","id":"s1","request":{"stock_id":"100088"}}' | enqueue --wait
//
// With --wait it prints each job's result as a JSON line and exits 1 if any
// job failed.
package main

import "github.com/couponq/couponq/internal/cli"

func main() { cli.Main(cli.RunEnqueue) }
