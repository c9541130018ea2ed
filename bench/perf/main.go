// Command perf is couponq's latency, recovery and CPU benchmark (issue 9):
// it builds and starts real processes — a nats-server, the WeChat Pay
// sandbox (cmd/sandbox) and worker processes (cmd/worker) — runs one
// scenario per target (first-request latency, recovery after SIGKILL, 429
// storm, lowered real limit, dead primary host, CPU per job, 8 workers at
// 500/s) and prints one Markdown table with a line per measurement.
//
//	go run ./bench/perf [--quick] [--src DIR] [flags]
//
// Run it from the repository root; --help lists the flags. --src builds the
// worker from another checkout (the "before" column of docs/performance.md).
// It is a measurement tool: it asserts nothing about timing.
package main

import (
	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/bench/internal/perfbench"
	"github.com/couponq/couponq/internal/cli"
)

func main() { cli.Main(harness.Command(perfbench.Run)) }
