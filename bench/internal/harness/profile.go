package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// WorkerProfiler takes one worker's CPU and allocation profiles over its
// /debug/pprof endpoints (the cpu scenario with --profile).
type WorkerProfiler struct {
	Dir  string // where the profiles are written
	Addr string // the worker's ops server (host:port)
	done chan error
}

// NewWorkerProfiler picks a port for the worker's operations server and
// returns the tweak that turns it on with pprof; nil when dir is "".
func NewWorkerProfiler(dir string) (*WorkerProfiler, func(doc map[string]any), error) {
	if dir == "" {
		return nil, nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("profile directory: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, nil, err
	}
	p := &WorkerProfiler{Dir: dir, Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	tweak := func(doc map[string]any) {
		doc["http"] = map[string]any{"listen": p.Addr, "pprof": true}
	}
	return p, tweak, nil
}

// StartCPU starts a CPU profile of d in the background.
func (p *WorkerProfiler) StartCPU(ctx context.Context, d time.Duration) {
	p.done = make(chan error, 1)
	go func() {
		p.done <- p.Get(ctx, fmt.Sprintf("profile?seconds=%d", int(d.Seconds())), "cpu.pprof")
	}()
}

// Finish waits for the CPU profile and takes the allocation profile.
func (p *WorkerProfiler) Finish(ctx context.Context) error {
	if err := <-p.done; err != nil {
		return err
	}
	return p.Get(ctx, "allocs", "allocs.pprof")
}

// Get saves the worker's /debug/pprof/<path> to file in Dir.
func (p *WorkerProfiler) Get(ctx context.Context, path, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.Addr+"/debug/pprof/"+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("worker pprof %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("worker pprof %s: %s", path, resp.Status)
	}
	f, err := os.Create(filepath.Join(p.Dir, file))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("worker pprof %s: %w", path, err)
	}
	return f.Close()
}
