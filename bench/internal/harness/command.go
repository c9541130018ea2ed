package harness

import (
	"context"
	"io"

	"github.com/couponq/couponq/internal/cli"
)

// Command makes a benchmark's entry point (ratebench.Run, perfbench.Run,
// schedbench.Run, faultsbench.Run) a cli.Command, so the bench commands'
// mains are cli.Main like couponq's own: interrupt handling and exit code
// in one place.
func Command(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) cli.Command {
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return run(ctx, args, stdout, stderr)
	}
}
