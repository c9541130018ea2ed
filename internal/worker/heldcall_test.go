package worker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// TestCallHeldPastAckWaitIsNotRedelivered: a call that takes three times
// ack_wait keeps its job (progress every ack_wait/3), so the other worker
// never gets it: one request, one attempt, one result.
func TestCallHeldPastAckWaitIsNotRedelivered(t *testing.T) {
	b := setup(t)
	const ackWait = 600 * time.Millisecond
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Latency, Delay: 3 * ackWait, Count: 1})
	for _, id := range []string{"w1", "w2"} {
		cfg := testConfig(id)
		cfg.AckWait = ackWait
		b.start(cfg, nil)
	}
	id := b.publish(jobs.TypeBusifavorUse, busifavorUse("CODE-HELD", "BF-HELD-1")).MsgID
	r := b.await(id)[id]
	require.Equal(t, jobs.StatusSucceeded, r.Status, "%+v", r.Error)
	assert.Equal(t, 1, r.Attempts, "not redelivered while held")
	assert.Equal(t, int64(1), b.sb.Stats(marketing.OpBusifavorUse).Requests)
	assert.Equal(t, 1, b.countResults(id))
}
