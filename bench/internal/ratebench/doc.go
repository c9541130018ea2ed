// Package ratebench is couponq's fleet rate-limit benchmark (command
// bench/ratelimit). For each row it starts fresh, real processes — a
// nats-server with JetStream, the WeChat Pay sandbox (cmd/sandbox) enforcing
// the true limit per sliding second, and N worker processes (cmd/worker) —
// publishes a backlog with the producer library, and after a warmup measures
// at the sandbox: the most requests accepted in any sliding second, the
// accepted rate, and the 429s. During product_coupon.update backlogs it also
// measures the enqueue→result latency of single busifavor.use redemptions,
// next to the latency of the same call made straight to the sandbox.
//
// Its rows (PlanRows, RunRow, Measure) are also run by perfbench for the
// failover and 8-worker scenarios. It is a measurement tool: it prints a
// Markdown table and asserts nothing about timing. Every child process is
// stopped on every exit path.
package ratebench
