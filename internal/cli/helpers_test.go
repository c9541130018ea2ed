package cli_test

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/couponq/couponq/internal/cli"
)

// natsWait and pollEvery bound waiting for a stream to reach a state.
const (
	natsWait  = 30 * time.Second
	pollEvery = 10 * time.Millisecond
)

func cliRunEnqueue(ctx context.Context, args []string, stdin io.Reader, out, errOut io.Writer) int {
	return cli.RunEnqueue(ctx, args, stdin, out, errOut)
}

func cliRunAdmin(ctx context.Context, args []string, out, errOut io.Writer) int {
	return cli.RunAdmin(ctx, args, nil, out, errOut)
}

func replaceAll(s, old, new string) string { return strings.ReplaceAll(s, old, new) }
