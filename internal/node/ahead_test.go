package node_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/ratelimit"
)

// A flow with a backlog takes its next slots with one round trip to the
// shared pacing state (ratelimit.ReserveAhead): fewer reservations than
// slots, few pooled slots unused, every job done.
func TestBackloggedFlowReservesSlotsAhead(t *testing.T) {
	// 400/s: 10 slots fit in one reservation's 25 ms.
	n, _ := startNodeWith(t, "limits:\n  busifavor.stock.get: 400\n")
	// Paused while the jobs are published, so the flow starts with all of
	// them as its backlog.
	ctx := natstest.Context(t)
	typ := jobs.TypeBusifavorStockGet
	require.NoError(t, admin.PauseType(ctx, n.JS, 1, typ, jobs.Pause{By: "test"}))
	require.Eventually(t, func() bool { return n.Worker.Paused(typ) }, 10*time.Second, 10*time.Millisecond)
	p := jobs.NewProducer(n.JS, jobs.ProducerConfig{})
	var ids []string
	for i := range 60 {
		pub, err := p.Publish(ctx, typ,
			jobs.Job{ID: fmt.Sprintf("ahead-%d", i), Request: json.RawMessage(`{"stock_id":"100088"}`)})
		require.NoError(t, err)
		ids = append(ids, pub.MsgID)
	}
	_, err := admin.ResumeType(ctx, n.JS, typ)
	require.NoError(t, err)
	res, err := jobs.AwaitResults(ctx, n.JS, ids, time.Time{}, nil)
	require.NoError(t, err)
	for _, r := range res {
		require.Equal(t, jobs.StatusSucceeded, r.Status, "%+v", r)
	}
	key := ratelimit.Key{MchID: "1900000001", Type: string(jobs.TypeBusifavorStockGet)}
	var ks ratelimit.KeyStats
	for _, k := range n.Limiter.Stats().Keys {
		if k.Key == key {
			ks = k
		}
	}
	t.Logf("%d slots in %d reservations, %d waits", ks.Slots, ks.Reservations, ks.Waits)
	require.GreaterOrEqual(t, ks.Waits, uint64(60))
	// Without ReserveAhead a lone runner makes one reservation per slot.
	require.Less(t, ks.Reservations, ks.Slots, "some slots came with another's reservation")
	require.LessOrEqual(t, ks.Slots, ks.Waits+uint64(20), "few pooled slots went unused")
}
