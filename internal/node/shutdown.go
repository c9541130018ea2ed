package node

import "time"

// Shutdown budget. worker.shutdown_timeout bounds the whole shutdown of a
// process, all included: the worker's own shutdown (in-flight calls, then
// hand-backs and results) gets the timeout less closeReserve; stopping the
// limiter, the sandbox and draining the NATS connection (waiting until the
// last acks and naks are flushed) fit in closeReserve. Deploy files must
// give the process a longer grace period than worker.shutdown_timeout.

// closeReserve is the part of the shutdown timeout kept for Close: a fifth,
// at most 3s.
func closeReserve(total time.Duration) time.Duration {
	return min(total/5, 3*time.Second)
}

// workerShutdown is the worker's share of the shutdown timeout.
func workerShutdown(total time.Duration) time.Duration {
	if total <= 0 {
		return 0 // the worker's default applies
	}
	return total - closeReserve(total)
}

// shutdownTimeout is the configured worker.shutdown_timeout (25s when unset).
func (rt *Node) shutdownTimeout() time.Duration {
	if rt.cfg == nil || rt.cfg.Worker.ShutdownTimeout <= 0 {
		return 25 * time.Second
	}
	return rt.cfg.Worker.ShutdownTimeout
}

// stopping records that shutdown began now: Close must finish by now +
// shutdown timeout.
func (rt *Node) stopping() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.deadline.IsZero() {
		rt.deadline = time.Now().Add(rt.shutdownTimeout())
	}
}

// closeDeadline is when Close must be done.
func (rt *Node) closeDeadline() time.Time {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.deadline.IsZero() {
		return time.Now().Add(closeReserve(rt.shutdownTimeout()))
	}
	return rt.deadline
}
