// Package faultsbench is couponq's fault matrix (command bench/faults): for
// each fault it starts fresh, real processes — a nats-server (or a 3-node
// cluster), the WeChat Pay sandbox and worker processes — runs a steady
// load, injects the fault and prints one table row: jobs, results, lost,
// duplicated effects, recovery time. The full run ends with a bounded soak
// at 80% of a limit. Every child process is stopped on every exit path.
package faultsbench
