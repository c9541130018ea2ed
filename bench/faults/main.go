// Command faults is couponq's fault matrix: for each fault it starts fresh,
// real processes — a nats-server (or a 3-node cluster), the WeChat Pay
// sandbox (cmd/sandbox) and worker processes (cmd/worker) — runs a steady
// load, injects the fault (SIGKILL of workers, NATS restart, stream-leader
// kill, a partition longer than ack_wait, API 500s before and after the
// effect, hangs, probe signatures, a 429 storm, the primary host down) and
// prints one table row: jobs, results, lost, duplicated effects, recovery
// time. The full run ends with a bounded soak at 80% of a limit.
//
//	go run ./bench/faults --quick   # CI profile, under 2 minutes
//	go run ./bench/faults           # every row and a 5-minute soak
//
// Run it from the repository root; --help lists the flags. The exit code is
// 1 when a row failed to run or lost a job.
package main

import (
	"github.com/couponq/couponq/bench/internal/faultsbench"
	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/internal/cli"
)

func main() { cli.Main(harness.Command(faultsbench.Run)) }
