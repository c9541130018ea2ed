package ratelimit

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// firstSlot records the first slot l grants for key after a Wait at server
// time "at".
func waitSlot(t *testing.T, b *testBundle, l *Limiter, key Key) (slot, at int64) {
	t.Helper()
	got := make(chan int64, 1)
	l.onSlot = func(k Key, s int64) {
		if k == key {
			select {
			case got <- s:
			default:
			}
		}
	}
	at = l.clk.now()
	_, err := l.Wait(b.ctx, key)
	require.NoError(t, err)
	return <-got, at
}

func stateCreated(t *testing.T, b *testBundle) int64 {
	t.Helper()
	kv, err := b.srv.JS.KeyValue(b.ctx, DefaultStateBucket)
	require.NoError(t, err)
	st, err := kv.Status(b.ctx)
	require.NoError(t, err)
	return st.(*jetstream.KeyValueBucketStatus).StreamInfo().Created.UnixNano()
}

// A key of a fresh cluster (the state bucket's first incarnation) starts at
// once: the first job pays no head start.
func TestFirstSlotOfAFreshClusterIsDueAtOnce(t *testing.T) {
	b := setup(t)
	l := b.limiter(t, "w1", nil)
	slot, _ := waitSlot(t, b, l, Key{MchID: "1900000001", Type: "product_coupon.update"})
	require.LessOrEqual(t, slot, l.clk.now(), "due by the time Wait returned: no head start")
}

// When the state bucket is lost and created again, a key's state starts one
// horizon and one interval after the new bucket's creation: after every
// slot a worker may still hold against the lost state.
func TestStateAfterALostBucketStartsAfterEverySlotHeldAgainstIt(t *testing.T) {
	b := setup(t)
	l := b.limiter(t, "w1", nil)
	key := Key{MchID: "1900000001", Type: "product_coupon.update"}
	waitSlot(t, b, l, key)
	require.NoError(t, b.srv.JS.DeleteKeyValue(b.ctx, DefaultStateBucket))
	slot, _ := waitSlot(t, b, l, key)
	iv := interval(rate(20, DefaultHeadroom, 1))
	require.GreaterOrEqual(t, slot, stateCreated(t, b)+int64(horizon)+iv)

	// A limiter started later in this incarnation does not take it for the
	// first one: the epoch names the first.
	l2 := b.limiter(t, "w2", nil)
	other := Key{MchID: "1900000002", Type: "product_coupon.update"}
	slot, _ = waitSlot(t, b, l2, other)
	require.GreaterOrEqual(t, slot, stateCreated(t, b)+int64(horizon)+iv)
}

// A deleted key's state starts after every slot granted before the delete.
func TestStateOfADeletedKeyStartsAfterItsSlots(t *testing.T) {
	b := setup(t)
	l := b.limiter(t, "w1", nil)
	key := Key{MchID: "1900000001", Type: "product_coupon.update"}
	waitSlot(t, b, l, key)
	kv, err := b.srv.JS.KeyValue(b.ctx, DefaultStateBucket)
	require.NoError(t, err)
	before := l.clk.now()
	require.NoError(t, kv.Delete(b.ctx, key.kvKey()))
	l.queues[key].invalidate()
	slot, _ := waitSlot(t, b, l, key)
	require.GreaterOrEqual(t, slot, before+int64(horizon))
}
