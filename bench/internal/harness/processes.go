package harness

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one child process whose stdout and stderr go to a log file.
type Process struct {
	name    string
	LogPath string        // where its stdout and stderr go
	Cmd     *exec.Cmd     // the running command
	Exited  chan struct{} // closed once it has exited
	waitErr error         // set before exited is closed
}

// Group starts child processes and makes sure every one of them is stopped:
// stopAll runs on every exit path of the benchmark, Ctrl-C included, and
// on Linux each child also gets SIGKILL when the benchmark dies (Pdeathsig).
type Group struct {
	mu    sync.Mutex
	procs []*Process
}

// Start runs bin with args in dir, logging to logPath. The child's
// environment is the benchmark's without COUPONQ_* variables, so only the
// config file the benchmark wrote configures a worker.
func (g *Group) Start(name, dir, logPath, bin string, args ...string) (*Process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: log file: %w", name, err)
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = childEnv()
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &Process{name: name, LogPath: logPath, Cmd: cmd, Exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.Exited)
	}()
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return p, nil
}

// StopAll stops every process still running, newest first, giving each
// grace to exit after SIGTERM before SIGKILL.
func (g *Group) StopAll(grace time.Duration) {
	g.mu.Lock()
	procs := g.procs
	g.procs = nil
	g.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop(grace)
	}
}

// forget drops stopped processes from the group.
func (g *Group) forget(stopped ...*Process) {
	g.mu.Lock()
	defer g.mu.Unlock()
	kept := g.procs[:0]
	for _, p := range g.procs {
		drop := false
		for _, s := range stopped {
			drop = drop || p == s
		}
		if !drop {
			kept = append(kept, p)
		}
	}
	g.procs = kept
}

// Stop sends SIGTERM, waits up to grace, then kills. It reports whether the
// process had to be killed.
func (p *Process) Stop(grace time.Duration) (killed bool) {
	select {
	case <-p.Exited:
		return false
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.Exited:
		return false
	case <-t.C:
		_ = p.Cmd.Process.Kill()
		<-p.Exited
		return true
	}
}

// ExitError returns a descriptive error when the process has exited, with
// the end of its log; nil while it runs.
func (p *Process) ExitError() error {
	select {
	case <-p.Exited:
	default:
		return nil
	}
	state := "exited"
	if p.waitErr != nil {
		state = p.waitErr.Error()
	}
	return fmt.Errorf("%s %s unexpectedly; log %s:\n%s", p.name, state, p.LogPath, tail(p.LogPath, 15))
}

// PID returns the process id.
func (p *Process) PID() int { return p.Cmd.Process.Pid }

// tail returns the last n lines of a file, indented.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "  (log unreadable: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// childEnv is the environment without COUPONQ_* overrides.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COUPONQ_") {
			env = append(env, kv)
		}
	}
	return env
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Binaries are the executables the benchmark runs.
type Binaries struct {
	NATSServer, Sandbox, Worker string // paths of the built executables
}

// BuildBinaries builds nats-server (from the module in go.mod), the sandbox
// and the worker into dir, from the module root.
func BuildBinaries(moduleRoot, dir string) (Binaries, error) {
	b := Binaries{
		NATSServer: filepath.Join(dir, "nats-server"),
		Sandbox:    filepath.Join(dir, "sandbox"),
		Worker:     filepath.Join(dir, "worker"),
	}
	for _, t := range []struct{ out, pkg string }{
		{b.NATSServer, "github.com/nats-io/nats-server/v2"},
		{b.Sandbox, "./cmd/sandbox"},
		{b.Worker, "./cmd/worker"},
	} {
		cmd := exec.Command("go", "build", "-o", t.out, t.pkg)
		cmd.Dir = moduleRoot
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("go build %s: %w\n%s", t.pkg, err, out.String())
		}
	}
	return b, nil
}

// moduleRoot finds the couponq module root: the directory of the go.mod the
// go command sees from the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the couponq module: run the benchmark from the repository")
	}
	return filepath.Dir(gomod), nil
}
