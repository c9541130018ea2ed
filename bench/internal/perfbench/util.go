package perfbench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// perfCluster starts a fresh cluster for one scenario in its own directory.
func perfCluster(ctx context.Context, e *perfEnv, name string, cfg harness.ClusterConfig) (*harness.Cluster, error) {
	dir, err := e.dir(name)
	if err != nil {
		return nil, err
	}
	if cfg.Configured == nil {
		cfg.Configured = map[marketing.Operation]int{}
	}
	if cfg.Real == nil {
		cfg.Real = map[marketing.Operation]int{}
	}
	for _, op := range []marketing.Operation{jobs.TypeProductCouponUpdate, jobs.TypeBusifavorUse} {
		if _, ok := cfg.Configured[op]; !ok {
			cfg.Configured[op] = op.AssumedLimit()
		}
		if _, ok := cfg.Real[op]; !ok {
			cfg.Real[op] = cfg.Configured[op]
		}
	}
	cfg.SandboxNice = e.o.SandboxNice
	c, err := harness.StartCluster(ctx, e.g, e.bins, dir, cfg)
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// series is a run of single busifavor.use jobs sent through the queue at a
// steady interval, with a direct signed call to the sandbox half an
// interval after each (the API's own latency under the same load).
type series struct {
	prefix string
	starts []time.Time // by index
	ids    []string
	failed int
	direct []time.Duration
}

// sendSeries sends n jobs every interval and waits for their results (up
// to resultGrace after the last); it returns their enqueue→result latencies
// in send order (-1: no result).
func sendSeries(ctx context.Context, c *harness.Cluster, p *jobs.Producer, pr *harness.Prober, w *harness.Watcher, prefix string, n int, every time.Duration) ([]time.Duration, []time.Duration, error) {
	s := &series{prefix: prefix, starts: make([]time.Time, n), ids: make([]string, n)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			job := harness.UseJob(prefix, i)
			start := time.Now()
			_, err := p.Publish(ctx, jobs.TypeBusifavorUse, job)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.failed++
				return
			}
			s.starts[i] = start
			s.ids[i] = jobs.MsgID(jobs.TypeBusifavorUse, harness.UseRequestNo(prefix, i))
		}()
		go func() {
			defer wg.Done()
			if pr == nil || harness.Sleep(ctx, every/2) != nil {
				return
			}
			lat, err := pr.Direct(ctx, "D"+prefix, i)
			if err == nil {
				mu.Lock()
				s.direct = append(s.direct, lat)
				mu.Unlock()
			}
		}()
		select {
		case <-tick.C:
		case <-ctx.Done():
			wg.Wait()
			return nil, nil, ctx.Err()
		}
	}
	wg.Wait()
	out := make([]time.Duration, n)
	deadline := time.Now().Add(harness.ResultGrace)
	for i := range n {
		out[i] = -1
		if s.ids[i] == "" {
			continue
		}
		for {
			if at, ok := w.Arrival(s.ids[i]); ok {
				out[i] = at.Sub(s.starts[i])
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return out, s.direct, nil
}

// latencies drops the missing (-1) entries.
func latencies(ds []time.Duration) (got []time.Duration, missing int) {
	for _, d := range ds {
		if d < 0 {
			missing++
			continue
		}
		got = append(got, d)
	}
	return got, missing
}

// sample is the sandbox's counters of one operation at one moment.
type sample struct {
	at time.Time
	s  sandbox.EndpointStats
}

// sampler polls the sandbox's counters of op every 50 ms.
type sampler struct {
	mu      sync.Mutex
	samples []sample
	stop    func()
}

func startSampler(ctx context.Context, c *harness.Cluster, op marketing.Operation) *sampler {
	s := &sampler{}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if st, err := c.Admin.Stats(ctx); err == nil {
				s.mu.Lock()
				s.samples = append(s.samples, sample{at: time.Now(), s: st[op]})
				s.mu.Unlock()
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	s.stop = func() { cancel(); <-done }
	return s
}

// between returns the change of the counters from the last sample at or
// before a to the last sample at or before b.
func (s *sampler) between(a, b time.Time) sandbox.EndpointStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := func(t time.Time) sandbox.EndpointStats {
		var last sandbox.EndpointStats
		for _, x := range s.samples {
			if x.at.After(t) {
				break
			}
			last = x.s
		}
		return last
	}
	x, y := at(a), at(b)
	return sandbox.EndpointStats{Requests: y.Requests - x.Requests, Status2xx: y.Status2xx - x.Status2xx,
		Status4xx: y.Status4xx - x.Status4xx, Status429: y.Status429 - x.Status429, Status5xx: y.Status5xx - x.Status5xx}
}

// first429 returns the time of the first sample after from that saw a 429.
func (s *sampler) first429(from time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var base int64 = -1
	for _, x := range s.samples {
		if x.at.Before(from) {
			base = x.s.Status429
			continue
		}
		if base < 0 {
			base = x.s.Status429
		}
		if x.s.Status429 > base {
			return x.at
		}
	}
	return time.Time{}
}

// maxRequestsPerSecond is the most requests (answered or not) the sandbox
// saw in any one-second window (sliding in 50 ms steps) within [a, b].
func (s *sampler) maxRequestsPerSecond(a, b time.Time) int64 {
	var best int64
	for t := a; !t.Add(time.Second).After(b); t = t.Add(50 * time.Millisecond) {
		best = max(best, s.between(t, t.Add(time.Second)).Requests)
	}
	return best
}

// countLog counts the lines of the workers' logs whose message contains
// any of words (case-insensitive), by message.
func countLog(c *harness.Cluster, words ...string) (int, []string) {
	counts := map[string]int{}
	n := 0
	for _, p := range c.AllWorkers {
		for msg, k := range logMessages(p.LogPath) {
			m := strings.ToLower(msg)
			for _, wd := range words {
				if strings.Contains(m, strings.ToLower(wd)) {
					counts[msg] += k
					n += k
					break
				}
			}
		}
	}
	var out []string
	for m, k := range counts {
		out = append(out, fmt.Sprintf("%q ×%d", m, k))
	}
	sort.Strings(out)
	return n, out
}

// logMessages counts a JSON log's lines by message, at every level.
func logMessages(path string) map[string]int {
	out := map[string]int{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		var e struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Msg != "" {
			out[e.Msg]++
		}
	}
	return out
}
