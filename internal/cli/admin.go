package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/internal/config"
)

const adminUsage = `usage: couponq COMMAND [flags]

Operator tools for couponq. They need only the NATS settings of the config
file (--config, default ./config.yaml): never a merchant key.

commands:
  dlq list              dead letters by type and code, then the newest entries
  dlq show SEQ|ID       one dead letter: why it failed and its job
  dlq replay [SEQ...]   republish dead letters as jobs once the cause is fixed
  dlq purge [SEQ...]    delete dead letters
  results               query or --follow results (type, status, id, campaign, time)
  watch CAMPAIGN        live counts of a campaign, a summary and a failure report
  stats                 backlog, in flight, redeliveries, dead letters and workers per type
  pause TYPE            stop workers taking jobs of a type
  resume TYPE           let them take jobs again
  enqueue ...           publish jobs (the enqueue command)

Run 'couponq COMMAND --help' for a command's flags.
`

// adminCommand is one subcommand: its flags are parsed by run itself.
type adminCommand func(ctx context.Context, args []string, env *adminEnv) int

// adminEnv is what every subcommand gets.
type adminEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// RunAdmin is the couponq operator command (see adminUsage). It returns the
// process exit code: 0 done, 1 something failed or needs attention, 2 usage.
func RunAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &adminEnv{stdin: stdin, stdout: stdout, stderr: stderr}
	commands := map[string]adminCommand{
		"results": runResults,
		"watch":   runWatch,
		"stats":   runStats,
		"pause":   runPause,
		"resume":  runResume,
		"dlq":     runDLQ,
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, adminUsage)
		return exitOK
	case "enqueue":
		return RunEnqueue(ctx, args[1:], stdin, stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "couponq: unknown command %q\n\n%s", args[0], adminUsage)
		return exitUsage
	}
	return cmd(ctx, args[1:], env)
}

// newFlags returns a flag set for a subcommand with the shared --config flag
// and a usage text that starts with synopsis.
func newFlags(name, synopsis string, env *adminEnv) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: couponq %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	cfg := fs.String("config", "", "YAML config file (default: ./config.yaml when present); only nats.* and streams.* are used")
	return fs, cfg
}

// parseFlags parses args and checks the number of positional arguments
// (between min and max; max < 0 is unbounded). ok false means: return code.
// Flags may come before, between or after the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string, minArgs, maxArgs int) (code int, ok bool) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK, false
			}
			return exitUsage, false
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	// Leave the positional arguments where fs.Args finds them.
	_ = fs.Parse(append([]string{"--"}, positional...))
	n := fs.NArg()
	if n < minArgs || (maxArgs >= 0 && n > maxArgs) {
		switch {
		case n < minArgs:
			fmt.Fprintf(fs.Output(), "couponq %s: missing argument\n", fs.Name())
		default:
			fmt.Fprintf(fs.Output(), "couponq %s: unexpected argument %q\n", fs.Name(), fs.Arg(maxArgs))
		}
		fs.Usage()
		return exitUsage, false
	}
	return exitOK, true
}

// connectAdmin loads the producer-mode config and connects.
func connectAdmin(configPath string, env *adminEnv) (*config.Config, *nats.Conn, jetstream.JetStream, bool) {
	cfg, err := loadProducerConfig(configPath)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return nil, nil, nil, false
	}
	nc, js, ok := connectTool(cfg, "couponq-admin", env.stderr)
	return cfg, nc, js, ok
}

// listFlag is a repeatable, comma-separated string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
