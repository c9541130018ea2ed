// Package clock is couponq's one time source. Every component that reads
// the time or waits (the rate limiter, the WeChat Pay client's signatures
// and answer checks, the sandbox, the producer library, the worker's
// heartbeats, scans and shutdown) takes a Clock, injected once where a
// process is wired (internal/node), as River's TimeGenerator is; tests pass
// a fake one to control time without sleeping.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now returns the current local time.
	Now() time.Time
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer made by a Clock.
type Timer interface {
	// C delivers the time when the timer fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
}

// System returns the system clock (with its monotonic reading, so steps of
// the wall clock do not disturb durations).
func System() Clock { return system{} }

type system struct{}

func (system) Now() time.Time                 { return time.Now() }
func (system) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }

// AfterFunc calls f in its own goroutine after d on c. On the system clock
// it is time.AfterFunc (no goroutine waits meanwhile); on other clocks a
// goroutine waits on one of c's timers. stop prevents the call if it has
// not happened yet.
func AfterFunc(c Clock, d time.Duration, f func()) (stop func()) {
	if _, ok := c.(system); ok {
		t := time.AfterFunc(d, f)
		return func() { t.Stop() }
	}
	done := make(chan struct{})
	var once sync.Once
	go func() {
		if Sleep(c, d, done) {
			f()
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// Func is a Clock whose Now is the function (a skewed or frozen time in a
// test) and whose timers are the system's.
type Func func() time.Time

// Now calls f.
func (f Func) Now() time.Time { return f() }

// NewTimer is the system's timer.
func (Func) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

// OrSystem returns c, or the system clock when c is nil: the default of
// every Config that takes a Clock.
func OrSystem(c Clock) Clock {
	if c == nil {
		return System()
	}
	return c
}

// Sleep waits d on c, or until done is closed; it reports whether the full
// wait passed.
func Sleep(c Clock, d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-done:
		return false
	}
}
