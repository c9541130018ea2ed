// Command sandbox runs a stand-in for the WeChat Pay APIv3 marketing
// endpoints couponq calls (busifavor coupon use, busifavor stock query,
// product coupon use and update): WeChat Pay offers no APIv3 sandbox.
//
//	sandbox [--addr 127.0.0.1:8090] [--backup-addr 127.0.0.1:8091]
//	        [--keys ./data/sandbox-keys] [--mchid 1900000001,...] [--limit op=N ...]
//
// It verifies request signatures, signs its answers as WeChat Pay does, keeps
// coupon state, enforces the documented rate limits and injects faults on
// demand through its admin API (/sandbox/...). It generates its own keys on
// first start and prints a couponq configuration snippet pointing at them.
// SIGINT or SIGTERM stops it gracefully.
package main

import "github.com/couponq/couponq/internal/cli"

func main() { cli.Main(cli.Sandbox) }
