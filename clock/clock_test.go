package clock_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/clock"
)

func TestFuncAndSleep(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := clock.Func(func() time.Time { return at })
	require.Equal(t, at, c.Now())
	require.Equal(t, clock.System(), clock.OrSystem(nil))
	require.Equal(t, at, clock.OrSystem(c).Now())
	done := make(chan struct{})
	close(done)
	require.False(t, clock.Sleep(clock.System(), time.Hour, done), "done ends the wait")
	require.True(t, clock.Sleep(clock.System(), 0, nil))
}

func TestAfterFunc(t *testing.T) {
	for _, c := range []clock.Clock{clock.System(), clock.Func(time.Now)} {
		fired := make(chan struct{})
		clock.AfterFunc(c, time.Millisecond, func() { close(fired) })
		<-fired
		stop := clock.AfterFunc(c, time.Hour, func() { t.Error("stopped call ran") })
		stop()
		stop()
	}
}
