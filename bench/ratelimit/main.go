// Command ratelimit is couponq's fleet rate-limit benchmark: it builds and
// starts a real nats-server, the WeChat Pay sandbox (cmd/sandbox) enforcing
// the true limit and N worker processes (cmd/worker), drives a backlog through
// them and prints, per row, the most requests the sandbox accepted in any
// sliding second, the achieved rate and utilization, the 429s, and the
// enqueue→result latency of redemptions sent during the backlog.
//
//	go run ./bench/ratelimit [--quick] [flags]
//
// Run it from the repository root; --help lists the flags. It is a
// measurement tool: it asserts nothing about timing.
package main

import (
	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/bench/internal/ratebench"
	"github.com/couponq/couponq/internal/cli"
)

func main() { cli.Main(harness.Command(ratebench.Run)) }
