package ratebench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/couponq/couponq/bench/internal/harness/harnesstest"
	"github.com/couponq/couponq/internal/testio"
	"github.com/stretchr/testify/require"
)

// These tests build and start real processes (nats-server, sandbox,
// workers); they check that a row runs and that no child outlives Run,
// never what it measured.

func TestRunOneRow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	code := Run(ctx, []string{"--scenarios", "update", "--workers", "2", "--warmup", "1s", "--window", "3s",
		"--backlog", "300", "--tmp", tmp}, &out, &errs)
	require.Equal(t, 0, code, errs.String())
	require.Contains(t, out.String(), "| product_coupon.update | 2 | 20 | 20 | ")
	require.Contains(t, out.String(), "command: `go run ./bench/ratelimit --scenarios update")
	require.Empty(t, harnesstest.ChildrenUnder(t, tmp))
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries, "the run's directory is removed after a clean run")
}

func TestRunInterruptedStopsEveryChild(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs testio.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"--scenarios", "update", "--workers", "2", "--warmup", "1s", "--window", "5m",
			"--backlog", "300", "--tmp", tmp}, &out, &errs)
	}()
	// Interrupt once the workers run: their logs exist.
	require.Eventually(t, func() bool {
		m, _ := filepath.Glob(filepath.Join(tmp, "*", "*", "bench-w2.log"))
		return len(m) == 1 && len(harnesstest.ChildrenUnder(t, tmp)) >= 4
	}, 2*time.Minute, 50*time.Millisecond, "workers did not start")
	cancel()
	select {
	case code := <-done:
		require.Equal(t, 1, code)
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after cancel")
	}
	require.Empty(t, harnesstest.ChildrenUnder(t, tmp))
	require.Contains(t, errs.String(), "kept in")
}
