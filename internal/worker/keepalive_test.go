package worker

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/clock"
)

// progressMsg counts InProgress signals and reports each on beats.
type progressMsg struct {
	fuzzMsg
	n     atomic.Int32
	beats chan struct{}
}

func (m *progressMsg) InProgress() error {
	m.n.Add(1)
	select {
	case m.beats <- struct{}{}:
	default:
	}
	return nil
}

// TestKeepAliveSignalsWhileHeldAndNeverAfterStop: progress every interval
// while held (on the system clock's timers and on another clock's
// goroutine path), and nothing once stop has returned.
func TestKeepAliveSignalsWhileHeldAndNeverAfterStop(t *testing.T) {
	const interval = 5 * time.Millisecond
	for name, clk := range map[string]clock.Clock{"system": clock.System(), "other clock": clock.Func(time.Now)} {
		t.Run(name, func(t *testing.T) {
			m := &progressMsg{beats: make(chan struct{}, 16)}
			stop := keepAlive(clk, m, interval)
			for i := range 3 {
				select {
				case <-m.beats:
				case <-time.After(10 * time.Second):
					t.Fatalf("progress signal %d never came", i+1)
				}
			}
			stop()
			n := m.n.Load()
			// Absence cannot be awaited: watch for ten intervals.
			time.Sleep(10 * interval)
			assert.Equal(t, n, m.n.Load(), "no progress signal after stop returned")
		})
	}
}

// TestKeepAliveStoppedEarlySendsNothing: a job that ends before the first
// signal is due sends none (the common case: one timer armed and stopped).
func TestKeepAliveStoppedEarlySendsNothing(t *testing.T) {
	m := &progressMsg{beats: make(chan struct{}, 1)}
	stop := keepAlive(clock.System(), m, 20*time.Millisecond)
	stop()
	time.Sleep(60 * time.Millisecond)
	require.Zero(t, m.n.Load())
}

// BenchmarkKeepAlive is the per-job cost of arming and stopping the
// progress signal of a job that ends before it is due.
func BenchmarkKeepAlive(b *testing.B) {
	m := &progressMsg{beats: make(chan struct{}, 1)}
	b.ReportAllocs()
	for b.Loop() {
		keepAlive(clock.System(), m, time.Second)()
	}
}
