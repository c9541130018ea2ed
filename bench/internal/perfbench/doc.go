// Package perfbench is couponq's latency, recovery and CPU benchmark
// (command bench/perf): one scenario per target on fresh, real processes —
// first-request latency, recovery after SIGKILL, a 429 storm, a lowered real
// limit, a dead primary host, CPU per job, 8 workers at 500/s — printed as
// one Markdown table with a line per measurement. The failover and 8-worker
// scenarios run ratebench's rows.
//
// It is a measurement tool: it asserts nothing about timing. Every child
// process is stopped on every exit path.
package perfbench
