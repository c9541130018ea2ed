// Command scheduling is couponq's flow scheduling benchmark: it builds and
// starts a real nats-server, the WeChat Pay sandbox (cmd/sandbox) enforcing
// the real limits per merchant and two worker processes (cmd/worker), and
// measures, per scenario on fresh processes, what issue 8 asks: one
// merchant's jobs during another's campaign (product_coupon.update and
// busifavor.use), an urgent job during its own merchant's campaign, two
// campaigns sharing one flow by fairness key, and the cost of thousands of
// flows against one. It prints a Markdown table.
//
//	go run ./bench/scheduling [--quick] [flags]
//
// The default run (the sizes: a 100,000-job campaign, 60 s windows,
// 2,000 flows) takes about 8 minutes on 2 cores; --quick (10,000 jobs,
// 15 s windows, 200 flows) about 2 minutes.
//
// Run it from the repository root; --help lists the flags. It is a
// measurement tool: it asserts nothing about timing.
package main

import (
	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/bench/internal/schedbench"
	"github.com/couponq/couponq/internal/cli"
)

func main() { cli.Main(harness.Command(schedbench.Run)) }
