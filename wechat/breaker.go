package wechat

import (
	"errors"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Circuit breaker timing for the primary host.
const (
	// breakerCooldown is how long the primary host is skipped after it
	// failed to answer, before one request probes it again.
	breakerCooldown = 2 * time.Second
	// breakerMaxCooldown caps the cooldown, which doubles after each failed
	// probe.
	breakerMaxCooldown = 30 * time.Second
)

// breaker remembers that a host gives no answers (connection refused, reset
// or timed out), so calls go straight to the backup host instead of paying
// for a dead attempt each time. While open it lets one call probe the host
// every cooldown; an answer of any status closes it. It logs each change of
// state, never each call. Safe for concurrent use.
type breaker struct {
	host string
	log  *zap.Logger
	now  func() time.Time

	mu       sync.Mutex
	open     bool
	until    time.Time // open: when the next probe may go
	cooldown time.Duration
	probing  bool // a probe is in flight
	skipped  uint64
}

func newBreaker(host string, log *zap.Logger, now func() time.Time) *breaker {
	return &breaker{host: host, log: log, now: now}
}

// allow reports whether a call should try the host now: always while
// closed; while open, one probe per cooldown. A nil breaker always allows.
func (b *breaker) allow() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true
	}
	if b.probing || b.now().Before(b.until) {
		b.skipped++
		return false
	}
	b.probing = true
	return true
}

// record tells the breaker how an attempt that allow let through ended:
// answered (any HTTP status) or not.
func (b *breaker) record(answered bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	wasProbe := b.probing
	b.probing = false
	switch {
	case answered && b.open:
		b.log.Info("wechat: host answers again; using it again",
			zap.String("host", b.host), zap.Uint64("calls_sent_to_backup_meanwhile", b.skipped))
		b.open, b.cooldown, b.skipped = false, 0, 0
	case answered:
	case !b.open:
		b.open, b.cooldown = true, breakerCooldown
		b.until = b.now().Add(b.cooldown)
		b.log.Warn("wechat: host gives no answers; sending to the backup host and probing it every cooldown",
			zap.String("host", b.host), zap.Duration("cooldown", b.cooldown))
	case wasProbe:
		b.cooldown = min(2*b.cooldown, breakerMaxCooldown)
		b.until = b.now().Add(b.cooldown)
	}
}

// abort ends an attempt that allow let through without a verdict on the
// host (it was not sent, or our own context ended).
func (b *breaker) abort() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

// isOpen reports whether the host is currently skipped.
func (b *breaker) isOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}

// neverSent reports whether err from an HTTP attempt means the request
// cannot have reached the server: the connection was never made (refused,
// unreachable, DNS, dial timeout). Anything later — a reset, a timeout
// while waiting for the answer — may have reached it.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
