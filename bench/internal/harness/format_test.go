package harness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	require.Equal(t, 50*time.Millisecond, Percentile(ds, 50))
	require.Equal(t, 99*time.Millisecond, Percentile(ds, 99))
	require.Equal(t, 100*time.Millisecond, Percentile(ds, 100))
	require.Equal(t, time.Duration(-1), Percentile(nil, 50))
	require.Equal(t, 3*time.Millisecond, Percentile([]time.Duration{3 * time.Millisecond}, 99))
}
