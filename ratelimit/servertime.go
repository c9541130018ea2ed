package ratelimit

import "time"

// ServerNow is the limiter's estimate of the JetStream server's current
// time (the clock all pacing state uses), within ±ServerClockUncertainty.
// The worker measures retry.max_elapsed with it against the server's
// enqueue timestamps, so that rule uses one clock too. Safe for concurrent
// use; meaningful once New has returned (New takes the first sample).
func (l *Limiter) ServerNow() time.Time { return time.Unix(0, l.clk.now()) }
