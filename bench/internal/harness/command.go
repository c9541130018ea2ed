package harness

import (
	"context"
	"io"

	"github.com/couponq/couponq/internal/cli"
)

// Command makes one of this package's benchmark entry points (RunPerf,
// RunFaults, RunScheduling, Run) a cli.Command, so the bench commands'
// mains are cli.Main like couponq's own: interrupt handling and exit code
// in one place.
func Command(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) cli.Command {
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return run(ctx, args, stdout, stderr)
	}
}
