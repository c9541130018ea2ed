package ratelimit

import "errors"

// ErrUnavailable is wrapped by Wait's error when the caller's context ended
// while the shared pacing state could not be reached (NATS down, bucket
// missing). The limiter never falls back to a local limit: without the shared
// state it grants nothing new. Slots reserved earlier stay valid.
var ErrUnavailable = errors.New("ratelimit: shared pacing state unreachable")

// ErrClosed is returned by Wait after Close.
var ErrClosed = errors.New("ratelimit: limiter closed")

// ErrNoLimit is wrapped by Wait's error for a job type that has neither a
// configured nor a default limit. Nothing may be sent for it unpaced.
var ErrNoLimit = errors.New("ratelimit: no limit configured for job type")
