package schedbench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
)

// heapProfiler takes the workers' heap profiles in the flows scenario
// (bench/scheduling --profile DIR): each worker serves pprof on its own
// port; a profile is taken whenever a worker's RSS reaches a new high (so
// the last one written is near its peak) and once more at the end.
type heapProfiler struct {
	dir, run string

	mu    sync.Mutex
	addrs map[string]string // worker id → pprof address
	high  map[string]int64  // worker id → RSS of the last peak profile
	start time.Time         // first sample
	trace []string          // "seconds,worker,rss" per sample
}

// newHeapProfiler returns a profiler writing into dir/run and the tweak
// that turns pprof on in each worker's config; nil, nil when dir is "".
func newHeapProfiler(dir, run string) (*heapProfiler, func(doc map[string]any), error) {
	if dir == "" {
		return nil, nil, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, run), 0o755); err != nil {
		return nil, nil, fmt.Errorf("profile directory: %w", err)
	}
	p := &heapProfiler{dir: dir, run: run, addrs: map[string]string{}, high: map[string]int64{}}
	tweak := func(doc map[string]any) {
		w, _ := doc["worker"].(map[string]any)
		id, _ := w["id"].(string)
		port, err := harness.FreePort()
		if err != nil {
			return // the run goes on without this worker's profiles
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		p.mu.Lock()
		p.addrs[id] = addr
		p.mu.Unlock()
		doc["http"] = map[string]any{"listen": addr, "pprof": true}
	}
	return p, tweak, nil
}

// sample takes a heap profile (and the text form with the runtime's
// MemStats) of every worker whose RSS grew by more than 3% since its last
// one.
func (p *heapProfiler) sample(ctx context.Context, c *harness.Cluster) error {
	if p == nil {
		return nil
	}
	for i, w := range c.Workers {
		id := c.WorkerIDs[i]
		rss := harness.ReadProcMem(w.PID()).RSS
		p.mu.Lock()
		if p.start.IsZero() {
			p.start = time.Now()
		}
		p.trace = append(p.trace, fmt.Sprintf("%.2f,%s,%d", time.Since(p.start).Seconds(), id, rss))
		grew := rss > p.high[id]*103/100
		if grew {
			p.high[id] = rss
		}
		p.mu.Unlock()
		if grew {
			if err := p.take(ctx, id, "peak"); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish takes every worker's end-of-run heap profile (its alloc_space
// covers the whole run) and writes the RSS samples as rss.csv.
func (p *heapProfiler) finish(ctx context.Context, c *harness.Cluster) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	csv := "seconds,worker,rss\n" + strings.Join(p.trace, "\n") + "\n"
	p.mu.Unlock()
	if err := os.WriteFile(filepath.Join(p.dir, p.run, "rss.csv"), []byte(csv), 0o644); err != nil {
		return fmt.Errorf("rss samples: %w", err)
	}
	for _, id := range c.WorkerIDs {
		if err := p.take(ctx, id, "end"); err != nil {
			return err
		}
	}
	return nil
}

// take writes id's heap profile as <id>-heap-<tag>.pprof, its text form
// (with the runtime's MemStats) as <id>-heap-<tag>.txt and its goroutines
// as <id>-goroutine-<tag>.txt.
func (p *heapProfiler) take(ctx context.Context, id, tag string) error {
	p.mu.Lock()
	addr := p.addrs[id]
	p.mu.Unlock()
	if addr == "" {
		return nil
	}
	wp := &harness.WorkerProfiler{Dir: filepath.Join(p.dir, p.run), Addr: addr}
	if err := wp.Get(ctx, "heap", fmt.Sprintf("%s-heap-%s.pprof", id, tag)); err != nil {
		return err
	}
	if err := wp.Get(ctx, "heap?debug=1", fmt.Sprintf("%s-heap-%s.txt", id, tag)); err != nil {
		return err
	}
	return wp.Get(ctx, "goroutine?debug=1", fmt.Sprintf("%s-goroutine-%s.txt", id, tag))
}
