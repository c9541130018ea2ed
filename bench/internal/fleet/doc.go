// Package fleet is couponq's fleet rate-limit benchmark (command
// bench/ratelimit). For each row it starts fresh, real processes — a
// nats-server with JetStream, the WeChat Pay sandbox (cmd/sandbox) enforcing
// the true limit per sliding second, and N worker processes (cmd/worker) —
// publishes a backlog with the producer library, and after a warmup measures
// at the sandbox: the most requests accepted in any sliding second, the
// accepted rate, and the 429s. During product_coupon.update backlogs it also
// measures the enqueue→result latency of single busifavor.use redemptions,
// next to the latency of the same call made straight to the sandbox.
//
// The same package runs the flow scheduling benchmark (command
// bench/scheduling, files sched_*.go): per scenario, fresh processes with
// several merchant accounts (sandbox keys shared, per-merchant limits), and
// the five measurements: one merchant's jobs during another's
// campaign (product_coupon.update and busifavor.use), an urgent job during
// its own merchant's campaign, two fairness keys sharing one flow, and
// 2,000 flows against one (worker CPU per job, memory, NATS operations and
// state per flow, from nats-server's monitoring endpoint).
//
// Both are measurement tools: they print a Markdown table and assert nothing
// about timing. Every child process is stopped on every exit path.
package fleet
