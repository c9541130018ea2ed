package worker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// deferBudget sends every flow away for later the first defers times it
// asks (for ever when defers is negative), then hands out slots due now.
type deferBudget struct {
	later time.Duration

	mu       sync.Mutex
	defers   int
	deferred int
}

func (d *deferBudget) ReserveOrDefer(context.Context, worker.Flow, int) (worker.Slot, time.Duration, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.defers < 0 || d.deferred < d.defers {
		d.deferred++
		return nil, d.later, nil
	}
	return nowSlot{}, 0, nil
}

func (d *deferBudget) Reserve(ctx context.Context, f worker.Flow) (worker.Slot, error) {
	s, _, err := d.ReserveOrDefer(ctx, f, 0)
	return s, err
}

func (d *deferBudget) Throttled(context.Context, worker.Flow) {}

func (d *deferBudget) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.deferred
}

// A flow whose next slot is far stops its runner and is started again by a
// timer: its jobs are all done, and nothing else changes.
func TestFlowWithAFarSlotParksAndComesBack(t *testing.T) {
	b := setup(t)
	budget := &deferBudget{later: 100 * time.Millisecond, defers: 3}
	cfg := testConfig("park")
	cfg.Budget = budget
	var ids []string
	for i := range 3 {
		ids = append(ids, b.publish(jobs.TypeBusifavorStockGet, stockGet("park-"+string(rune('0'+i)))).MsgID)
	}
	r := b.start(cfg, nil)
	res := b.await(ids...)
	for _, id := range ids {
		require.NotNil(t, res[id])
		assert.Equal(t, jobs.StatusSucceeded, res[id].Status)
	}
	assert.Equal(t, 3, budget.count(), "the runner was sent away three times")
	r.stop(t)
}

// A worker stops at once while a flow waits for a far slot, and the flow's
// job, never fetched, is done by the next worker.
func TestWorkerStopsWhileAFlowIsParked(t *testing.T) {
	b := setup(t)
	budget := &deferBudget{later: time.Hour, defers: -1}
	cfg := testConfig("park-stop")
	cfg.Budget = budget
	pub := b.publish(jobs.TypeBusifavorStockGet, stockGet("parked-1"))
	r := b.start(cfg, nil)
	require.Eventually(t, func() bool { return budget.count() > 0 }, 20*time.Second, 10*time.Millisecond, "the runner parked")
	start := time.Now()
	r.stop(t)
	t.Logf("stopped in %s", time.Since(start))
	assert.Less(t, time.Since(start), 2*time.Second, "not held up by the parked runner's hour")

	r = b.start(testConfig("park-stop-2"), nil)
	res := b.await(pub.MsgID)[pub.MsgID]
	require.NotNil(t, res)
	assert.Equal(t, jobs.StatusSucceeded, res.Status)
	r.stop(t)
}
