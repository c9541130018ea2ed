package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/couponq/couponq/internal/cli"
	"github.com/couponq/couponq/internal/testio"
)

// Every command rejects unknown arguments and subcommands with its usage,
// before it connects to anything.
func TestCommandsRejectUnknownArguments(t *testing.T) {
	ctx := context.Background()
	admin := func(args ...string) (int, string) {
		var out, errOut testio.Buffer
		code := cli.RunAdmin(ctx, args, strings.NewReader(""), &out, &errOut)
		return code, errOut.String()
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "usage: couponq COMMAND"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"dlq"}, "usage: couponq dlq list|show|replay|purge"},
		{[]string{"dlq", "bogus"}, `unknown subcommand "bogus"`},
		{[]string{"dlq", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"dlq", "list", "12x"}, `"12x" is not a dead-letter sequence number`},
		{[]string{"dlq", "show"}, "missing argument"},
		{[]string{"dlq", "show", "1", "2"}, `unexpected argument "2"`},
		{[]string{"stats", "extra"}, `unexpected argument "extra"`},
		{[]string{"results", "failed"}, `unexpected argument "failed"`},
		{[]string{"watch"}, "missing argument"},
		{[]string{"watch", "a", "b"}, `unexpected argument "b"`},
		{[]string{"pause"}, "missing argument"},
		{[]string{"resume", "a", "b"}, `unexpected argument "b"`},
		{[]string{"enqueue", "stray"}, `unexpected argument "stray"`},
	} {
		code, stderr := admin(c.args...)
		assert.Equal(t, 2, code, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
	var out, errOut testio.Buffer
	assert.Equal(t, 0, cli.RunAdmin(ctx, []string{"--help"}, nil, &out, &errOut))
	assert.Contains(t, out.String(), "dlq replay")
	errOut = testio.Buffer{}
	assert.Equal(t, 0, cli.RunAdmin(ctx, []string{"dlq", "replay", "--help"}, nil, &out, &errOut))
	assert.Contains(t, errOut.String(), "-dry-run")

	// enqueue: --help says re-runs are safe; stray words are refused.
	errOut = testio.Buffer{}
	assert.Equal(t, 0, cli.RunEnqueue(ctx, []string{"--help"}, strings.NewReader(""), &out, &errOut))
	assert.Contains(t, errOut.String(), "Safe to re-run")
	for _, args := range [][]string{{"jobs.jsonl"}, {"--priority", "7"}, {"--fairness-key", "a b"}, {"--campaign", ".x"}, {"--strict"}} {
		errOut = testio.Buffer{}
		assert.Equal(t, 2, cli.RunEnqueue(ctx, args, strings.NewReader(""), &out, &errOut), "%v", args)
		assert.Contains(t, errOut.String(), "usage:", "%v", args)
	}

	// `worker dlq --help` used to start a worker on the default config.
	errOut = testio.Buffer{}
	assert.Equal(t, 2, cli.RunWorker(ctx, []string{"dlq", "--help"}, &out, &errOut))
	assert.Contains(t, errOut.String(), `unexpected argument "dlq"`)
	assert.NotContains(t, errOut.String(), "mode:")
}
