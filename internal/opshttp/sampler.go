package opshttp

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/fleetview"
)

// sampleTimeout bounds one sample's snapshot.
const sampleTimeout = 2 * time.Second

// sample is one observation for the dashboard's history.
type sample struct {
	at    time.Time
	types map[string]point
}

// point is one type's figures in a sample; fleet figures are NaN when the
// snapshot failed.
type point struct {
	apiCalls                      float64 // this worker, cumulative
	limit, budget, paced, backlog float64 // fleet
}

// latest is the most recent full observation, for the current figures.
type latest struct {
	at       time.Time
	local    map[string]*local
	fleet    fleetview.Snapshot
	fleetErr error
}

// sampler records a sample per tick into a ring. Safe for concurrent use.
type sampler struct {
	gatherer prometheus.Gatherer
	source   fleetview.Source
	log      *zap.Logger

	mu     sync.Mutex
	ring   *ring[sample]
	latest latest
	after  func() // called after each sample (tests)
}

func newSampler(g prometheus.Gatherer, src fleetview.Source, keep int, log *zap.Logger) *sampler {
	return &sampler{gatherer: g, source: src, log: log, ring: newRing[sample](keep)}
}

// run samples on every tick (from ticks, or a ticker every d) until ctx ends.
func (s *sampler) run(ctx context.Context, ticks <-chan time.Time, d time.Duration) {
	if ticks == nil {
		t := time.NewTicker(d)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case at := <-ticks:
			s.sample(ctx, at)
		}
	}
}

// sample takes one observation stamped at.
func (s *sampler) sample(ctx context.Context, at time.Time) {
	fams, err := s.gatherer.Gather()
	if err != nil {
		s.log.Warn("dashboard sample: gather metrics", zap.Error(err))
	}
	loc := readLocal(fams)
	ctx, cancel := context.WithTimeout(ctx, sampleTimeout)
	defer cancel()
	fleet, fleetErr := s.source.Snapshot(ctx)

	smp := sample{at: at, types: map[string]point{}}
	for t, l := range loc {
		smp.types[t] = point{apiCalls: l.APICalls, limit: math.NaN(), budget: math.NaN(), paced: math.NaN(), backlog: math.NaN()}
	}
	if fleetErr == nil {
		fleetPoints(smp.types, fleet)
	}
	s.mu.Lock()
	s.ring.push(smp)
	s.latest = latest{at: at, local: loc, fleet: fleet, fleetErr: fleetErr}
	after := s.after
	s.mu.Unlock()
	if after != nil {
		after()
	}
}

// onSample sets a function called after each sample (tests).
func (s *sampler) onSample(f func()) {
	s.mu.Lock()
	s.after = f
	s.mu.Unlock()
}

// fleetPoints adds the snapshot's per-type figures to pts: the backlog (0
// when not listed) and the limits summed over merchants (NaN when the type
// has none).
func fleetPoints(pts map[string]point, snap fleetview.Snapshot) {
	nan := math.NaN()
	p := func(t string) point {
		if v, ok := pts[t]; ok {
			return v
		}
		return point{apiCalls: nan, limit: nan, budget: nan, paced: nan}
	}
	for t, v := range pts {
		v.backlog = float64(snap.Backlog[t])
		pts[t] = v
	}
	for t, n := range snap.Backlog {
		v := p(t)
		v.backlog = float64(n)
		pts[t] = v
	}
	for _, l := range snap.Limits {
		v := p(l.Type)
		if math.IsNaN(v.limit) {
			v.limit, v.budget, v.paced = 0, 0, 0
		}
		v.limit += l.Limit
		v.budget += l.Budget
		v.paced += l.Rate
		pts[l.Type] = v
	}
}

// view returns the history, oldest first, and the latest observation.
func (s *sampler) view() ([]sample, latest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ring.all(), s.latest
}
