package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Command is one of couponq's commands: it runs until done or until ctx
// ends and returns the process exit code.
type Command func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Main runs cmd as a process's main: SIGINT and SIGTERM cancel its context
// (a graceful stop), and its result becomes the exit code.
func Main(cmd Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Worker is RunWorker as a Command.
func Worker(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return RunWorker(ctx, args, stdout, stderr)
}

// Sandbox is RunSandbox as a Command.
func Sandbox(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return RunSandbox(ctx, args, stdout, stderr)
}
