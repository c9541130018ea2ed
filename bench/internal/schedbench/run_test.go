package schedbench

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/couponq/couponq/bench/internal/harness/harnesstest"
	"github.com/stretchr/testify/require"
)

// One small scenario end to end with real processes: it runs, prints its
// table row, and leaves no child behind. What it measured is not checked.
func TestRunFairness(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	code := Run(ctx, []string{"--scenarios", "fairness", "--fair-first", "60", "--fair-second", "20",
		"--fair-delay", "1s", "--tmp", tmp}, &out, &errs)
	require.Equal(t, 0, code, errs.String())
	require.Contains(t, out.String(), "| 4. fairness | share of the flow's budget")
	require.Contains(t, out.String(), "command: `go run ./bench/scheduling --scenarios fairness")
	require.Empty(t, harnesstest.ChildrenUnder(t, tmp))
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries, "the run's directory is removed after a clean run")
}
