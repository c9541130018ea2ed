// Package schedbench is couponq's flow scheduling benchmark (command
// bench/scheduling): per scenario, fresh processes with several merchant
// accounts (sandbox keys shared, per-merchant limits), and the five
// measurements: one merchant's jobs during another's campaign
// (product_coupon.update and busifavor.use), an urgent job during its own
// merchant's campaign, two fairness keys sharing one flow, and 2,000 flows
// against one (worker CPU per job, memory, NATS operations and state per
// flow, from nats-server's monitoring endpoint).
//
// It is a measurement tool: it prints a Markdown table and asserts nothing
// about timing. Every child process is stopped on every exit path.
package schedbench
