// Package ratelimit paces WeChat Pay API calls for the whole worker fleet:
// one limit per (merchant account, job type) that holds across every running
// worker process, adapts to 429 answers, and never lets waiting for one key
// delay another.
//
// The limit is enforced on NATS itself. Each key has a small pacing state in a
// JetStream KV bucket (memory storage): a GCRA "theoretical arrival time"
// (tat) on the JetStream server's clock plus the state of an AIMD budget. A
// worker reserves a short run of consecutive, evenly spaced send slots with
// one compare-and-set on that state and hands them to its waiting callers, so
// the fleet as a whole sends at most one request per 1/rate, however many
// workers there are. A 429 reported by any worker lowers the budget for the
// whole fleet at once; it then probes back up to the configured limit.
//
// See docs/rate-limiting.md for the algorithm, the alternatives, the failure
// modes and the worst-case overshoot.
package ratelimit
