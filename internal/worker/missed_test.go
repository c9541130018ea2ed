package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/marketing"
)

// missingBudget hands out slots whose Wait reports the first misses as
// ErrSlotMissed (the slot was overrun), then slots that work. It counts the
// slots waited for: the flow runner may also reserve a slot it then
// releases unused (a wake notice that came during its fetch keeps the group
// marked as having work until the next fetch finds it empty), which is
// neither a miss nor a send.
type missingBudget struct {
	mu     sync.Mutex
	misses int
	waited int
}

func (m *missingBudget) Reserve(context.Context, worker.Flow) (worker.Slot, error) {
	return &countedSlot{m: m}, nil
}

func (m *missingBudget) Throttled(context.Context, worker.Flow) {}

// countedSlot is a slot of missingBudget.
type countedSlot struct{ m *missingBudget }

func (*countedSlot) Due() time.Duration { return 0 }
func (s *countedSlot) Wait(context.Context) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.m.waited++
	if s.m.misses > 0 {
		s.m.misses--
		return fmt.Errorf("slot 20ms late: %w", worker.ErrSlotMissed)
	}
	return nil
}
func (*countedSlot) Release() {}

// A slot overrun before the request went out is replaced by a new one:
// the job is sent once, with the next slot, and it is its first attempt.
func TestMissedSlotIsReplacedNotSentNorAnAttempt(t *testing.T) {
	b := setup(t)
	budget := &missingBudget{misses: 2}
	cfg := testConfig("missed")
	cfg.Budget = budget
	b.start(cfg, nil)
	pub := b.publish(jobs.TypeBusifavorStockGet, stockGet("missed-1"))
	res := b.await(pub.MsgID)[pub.MsgID]
	require.NotNil(t, res)
	require.Equal(t, jobs.StatusSucceeded, res.Status)
	require.Equal(t, 1, res.Attempts)
	require.Equal(t, int64(1), b.sb.Stats(marketing.Operation(jobs.TypeBusifavorStockGet)).Requests)
	budget.mu.Lock()
	defer budget.mu.Unlock()
	require.Equal(t, 3, budget.waited, "two missed slots, then the one used")
}
