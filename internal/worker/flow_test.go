package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// gateBudget hands out one slot each time the test opens the gate, so the
// order in which the worker spends slots is observable.
type gateBudget struct{ gate chan struct{} }

func (g *gateBudget) Reserve(ctx context.Context, _ worker.Flow) (worker.Slot, error) {
	select {
	case <-g.gate:
		return nowSlot{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *gateBudget) Throttled(context.Context, worker.Flow) {}

type nowSlot struct{}

func (nowSlot) Due() time.Duration         { return 0 }
func (nowSlot) Wait(context.Context) error { return nil }
func (nowSlot) Release()                   {}

// backlog sums the worker's view of the flows stream.
func backlog(w *worker.Worker) (n uint64) {
	for _, s := range w.Flows() {
		n += s.Backlog
	}
	return n
}

func TestPriorityFirstThenFairnessKeysInTurn(t *testing.T) {
	b := setup(t)
	gate := &gateBudget{gate: make(chan struct{})}
	cfg := testConfig("sched")
	cfg.Budget = gate
	cfg.ScanInterval = 20 * time.Millisecond
	cfg.Concurrency = map[jobs.Type]int{jobs.TypeBusifavorStockGet: 1}
	// A campaign of two fairness keys at priority 5, then one urgent job.
	var want []string
	for i, key := range []string{"campA", "campA", "campA", "campB", "campB", "campB"} {
		j := stockGet(key + "-" + string(rune('0'+i)))
		j.Priority, j.FairnessKey = jobs.LeastUrgent, key
		b.publish(jobs.TypeBusifavorStockGet, j)
	}
	urgent := stockGet("urgent")
	urgent.Priority = jobs.MostUrgent
	b.publish(jobs.TypeBusifavorStockGet, urgent)
	want = []string{"urgent", "campA-0", "campB-3", "campA-1", "campB-4", "campA-2", "campB-5"}

	r := b.start(cfg, nil)
	require.Eventually(t, func() bool { return backlog(r.w) == 7 }, 20*time.Second, 10*time.Millisecond,
		"all seven jobs sorted into their groups")
	var got []string
	for range want {
		gate.gate <- struct{}{}
		res := b.awaitNext(jobs.TypeBusifavorStockGet, got)
		got = append(got, res)
	}
	assert.Equal(t, want, got, "priority 1 first, then the two campaigns in turn")
}

func TestOneMerchantsBacklogDoesNotHoldUpAnother(t *testing.T) {
	b := setupMerchants(t, mchid, mchidB)
	gate := &flowGate{open: map[string]bool{mchidB: true}, slots: make(chan struct{})}
	cfg := testConfig("two-merchants")
	cfg.Budget = gate
	// Merchant A: 40 updates whose budget never comes (a campaign at a limit
	// far below its backlog); merchant B: one update.
	for i := range 40 {
		j := productCouponUpdate("A-UPD-"+twoDigits(i), "名称"+twoDigits(i))
		j.MchID = mchid
		b.publish(jobs.TypeProductCouponUpdate, j)
	}
	r := b.start(cfg, nil)
	jb := productCouponUpdate("B-UPD-01", "商户B名称")
	jb.MchID = mchidB
	pub := b.publish(jobs.TypeProductCouponUpdate, jb)
	res := b.await(pub.MsgID)[pub.MsgID]
	require.NotNil(t, res)
	assert.Equal(t, jobs.StatusSucceeded, res.Status, "B's job went through: %+v", res.Error)
	assert.Equal(t, mchidB, res.MchID)
	// B's job was sorted after all of A's and still went first.
	assert.Equal(t, uint64(40), b.stored(worker.FlowsStream, worker.FlowSubjectPrefix+"product_coupon.update."+mchid+".>"),
		"A's jobs all wait in their flow")
	assert.Zero(t, countResultsPrefix(b, "product_coupon.update/A-"), "none of A's jobs got budget")
	r.stop(t)
}

// flowGate grants slots at once to open merchants and never to others.
type flowGate struct {
	open  map[string]bool
	slots chan struct{}
}

func (g *flowGate) Reserve(ctx context.Context, f worker.Flow) (worker.Slot, error) {
	if g.open[f.MchID] {
		return nowSlot{}, nil
	}
	select {
	case <-g.slots:
		return nowSlot{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *flowGate) Throttled(context.Context, worker.Flow) {}

func twoDigits(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// awaitNext waits for the next result of type t whose id is not in seen and
// returns its id.
func (b *bundle) awaitNext(t jobs.Type, seen []string) string {
	b.t.Helper()
	skip := map[string]bool{}
	for _, s := range seen {
		skip[s] = true
	}
	var found string
	require.Eventually(b.t, func() bool {
		for _, m := range b.streamMsgs(jobs.ResultsStream, jobs.ResultSubjectPrefix+string(t)+".>") {
			id := jobs.IDFromMsgID(m.Headers().Get(jetstream.MsgIDHeader))
			if !skip[id] {
				found = id
				return true
			}
		}
		return false
	}, 20*time.Second, 5*time.Millisecond)
	return found
}

func countResultsPrefix(b *bundle, prefix string) int {
	n := 0
	for _, m := range b.streamMsgs(jobs.ResultsStream, jobs.ResultSubjectPrefix+">") {
		if id := m.Headers().Get(jetstream.MsgIDHeader); len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}

// stored counts the messages of stream on subjects matching filter.
func (b *bundle) stored(stream, filter string) (n uint64) {
	b.t.Helper()
	s, err := b.nats.JS.Stream(b.ctx, stream)
	require.NoError(b.t, err)
	info, err := s.Info(b.ctx, jetstream.WithSubjectFilter(filter))
	require.NoError(b.t, err)
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

func TestPausedTypeSendsNothingUntilResumed(t *testing.T) {
	b := setup(t)
	r := b.start(testConfig("pause"), nil)
	kv, err := b.nats.JS.KeyValue(b.ctx, jobs.ControlBucket)
	require.NoError(t, err)
	_, err = kv.Put(b.ctx, jobs.PauseKey(jobs.TypeBusifavorStockGet), []byte(`{"by":"test"}`))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return r.w.Paused(jobs.TypeBusifavorStockGet) }, 10*time.Second, 5*time.Millisecond)
	// Other types go on; a paused type's job is sorted into its flow and stays.
	other := b.publish(jobs.TypeProductCouponUpdate, productCouponUpdate("PAUSE-OTHER-1", "其他类型"))
	b.await(other.MsgID)
	pub := b.publish(jobs.TypeBusifavorStockGet, stockGet("paused-1"))
	require.Eventually(t, func() bool {
		return b.stored(worker.FlowsStream, worker.FlowSubjectPrefix+"busifavor.stock.get.>") == 1
	},
		10*time.Second, 10*time.Millisecond)
	resumedAt := time.Now()
	require.NoError(t, kv.Delete(b.ctx, jobs.PauseKey(jobs.TypeBusifavorStockGet)))
	res := b.await(pub.MsgID)[pub.MsgID]
	require.NotNil(t, res)
	assert.Equal(t, jobs.StatusSucceeded, res.Status)
	assert.True(t, res.FinishedAt.After(resumedAt), "sent only after the resume")
	r.stop(t)
}

// A flow waiting for a slot that is due much later holds no job, so it
// does not take the worker-wide bound on jobs held from a flow whose slot
// is due now.
func TestFlowWaitingForItsSlotHoldsNoCapacity(t *testing.T) {
	b := setupMerchants(t, mchid, mchidB)
	cfg := testConfig("waiting-flow")
	cfg.MaxInFlight = 1
	cfg.Budget = &laterBudget{now: map[string]bool{mchidB: true}}
	j := productCouponUpdate("A-LATER-01", "商户A名称")
	j.MchID = mchid
	b.publish(jobs.TypeProductCouponUpdate, j)
	r := b.start(cfg, nil)
	require.Eventually(t, func() bool { return backlog(r.w) == 1 }, 20*time.Second, 10*time.Millisecond, "A's job is in its flow")
	jb := productCouponUpdate("B-NOW-01", "商户B名称")
	jb.MchID = mchidB
	pub := b.publish(jobs.TypeProductCouponUpdate, jb)
	res := b.await(pub.MsgID)[pub.MsgID]
	require.NotNil(t, res)
	assert.Equal(t, jobs.StatusSucceeded, res.Status, "B's job went through: %+v", res.Error)
	r.stop(t)
}

// laterBudget gives the listed merchants slots due now and every other
// merchant slots due in an hour.
type laterBudget struct{ now map[string]bool }

func (l *laterBudget) Reserve(_ context.Context, f worker.Flow) (worker.Slot, error) {
	if l.now[f.MchID] {
		return nowSlot{}, nil
	}
	return laterSlot{}, nil
}

func (l *laterBudget) Throttled(context.Context, worker.Flow) {}

type laterSlot struct{}

func (laterSlot) Due() time.Duration { return time.Hour }
func (laterSlot) Wait(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}
func (laterSlot) Release() {}
