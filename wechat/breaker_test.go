package wechat

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// A primary that refuses connections costs one pacer slot per call (the
// refused attempt never reached the API), is skipped after the first
// failure, probed once per cooldown, used again once it answers, and each
// change is logged once.
func TestDeadPrimaryIsRememberedProbedAndFree(t *testing.T) {
	ctx := context.Background()
	core, logs := observer.New(zap.InfoLevel)
	backup := newFake(t, ok(`{}`))
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	dead := deadURL(t)
	p := &countingPacer{}
	c := newTestClient(t, Config{BaseURL: dead, BackupURL: backup.URL(), Pacer: p, Logger: zap.New(core)})
	c.primary.now = clock

	for range 5 {
		resp, err := c.Do(ctx, "1900000001", docStockGet())
		require.NoError(t, err)
		assert.Equal(t, backup.URL(), resp.Host)
	}
	assert.Equal(t, 5, p.count(), "one slot per call: refused attempts spend none")
	assert.True(t, c.primary.isOpen())
	require.Len(t, logs.AllUntimed(), 1, "one line for the state change, none per call")
	assert.Contains(t, logs.AllUntimed()[0].Message, "gives no answers")

	// After the cooldown one call probes the primary (still dead): the
	// cooldown doubles.
	advance(breakerCooldown)
	_, err := c.Do(ctx, "1900000001", docStockGet())
	require.NoError(t, err)
	assert.Equal(t, 2*breakerCooldown, c.primary.cooldown)
	assert.Equal(t, 6, p.count())

	// The primary comes back: the next probe finds it and closes the breaker.
	primary := newFake(t, ok(`{}`))
	c.base = primary.URL()
	c.primary.host = primary.URL()
	advance(2 * breakerCooldown)
	resp, err := c.Do(ctx, "1900000001", docStockGet())
	require.NoError(t, err)
	assert.Equal(t, primary.URL(), resp.Host)
	assert.False(t, c.primary.isOpen())
	require.Len(t, logs.AllUntimed(), 2)
	assert.Contains(t, logs.AllUntimed()[1].Message, "answers again")
}

// A primary that answers with an error still answers: no breaker.
func TestAnsweringPrimaryKeepsTheBreakerClosed(t *testing.T) {
	primary := newFake(t, func(seen) answer { return answer{status: 503} })
	backup := newFake(t, ok(`{}`))
	p := &countingPacer{}
	c := newTestClient(t, Config{BaseURL: primary.URL(), BackupURL: backup.URL(), Pacer: p})
	for range 3 {
		_, err := c.Do(context.Background(), "1900000001", docStockGet())
		require.NoError(t, err)
	}
	assert.False(t, c.primary.isOpen())
	assert.Equal(t, 6, p.count(), "a 5xx attempt reached the API: it spent its slot")
	assert.Len(t, primary.requests(), 3)
}
