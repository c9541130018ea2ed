package sandbox

import (
	"sync"
	"time"

	"github.com/couponq/couponq/wechat/marketing"
)

// EndpointStats counts what the sandbox saw on one endpoint. Every request
// whose path names the endpoint counts in Requests; each answered one counts
// in exactly one of Status2xx, Status4xx (429 excluded), Status429 and
// Status5xx, so Requests minus their sum is the number of requests left
// unanswered (hung until the client gave up, or abandoned mid-delay).
type EndpointStats struct {
	Requests  int64 `json:"requests"`
	Status2xx int64 `json:"status_2xx"`
	Status4xx int64 `json:"status_4xx"`
	Status429 int64 `json:"status_429"`
	Status5xx int64 `json:"status_5xx"`
	// MaxAcceptedPerSecond is the most requests that passed the rate limiter
	// (signature checked, not answered 429) within any sliding one-second
	// window since the last reset. Injected 5xx answers count: they passed
	// the limiter. For a sum over merchants it is the busiest second of all
	// their requests together.
	MaxAcceptedPerSecond int64 `json:"max_accepted_per_second"`
}

// add sums counters; the caller sets MaxAcceptedPerSecond.
func (e *EndpointStats) add(o EndpointStats) {
	e.Requests += o.Requests
	e.Status2xx += o.Status2xx
	e.Status4xx += o.Status4xx
	e.Status429 += o.Status429
	e.Status5xx += o.Status5xx
}

type trafficKey struct {
	mchid string // "" for requests whose merchant is not known
	op    marketing.Operation
}

// endpointTraffic is the state of one merchant's endpoint.
type endpointTraffic struct {
	stats    EndpointStats
	accepted window
}

// traffic is the rate limiter and the counters. One mutex guards it: every
// operation is O(1) amortised and none does I/O or crypto.
type traffic struct {
	mu     sync.Mutex
	now    func() time.Time
	limits map[marketing.Operation]int
	// own are single merchants' limits, overriding limits.
	own  map[string]map[marketing.Operation]int
	keys map[trafficKey]*endpointTraffic
	// all holds each endpoint's accepted requests over all merchants, for the
	// exact MaxAcceptedPerSecond of the summed stats.
	all map[marketing.Operation]*window
}

func newTraffic(now func() time.Time, limits map[marketing.Operation]int, own map[string]map[marketing.Operation]int) *traffic {
	l := make(map[marketing.Operation]int, len(marketing.Operations()))
	for _, op := range marketing.Operations() {
		l[op] = DefaultLimit(op)
	}
	for op, n := range limits {
		l[op] = n
	}
	o := make(map[string]map[marketing.Operation]int, len(own))
	for mchid, limits := range own {
		o[mchid] = make(map[marketing.Operation]int, len(limits))
		for op, n := range limits {
			o[mchid][op] = n
		}
	}
	return &traffic{now: now, limits: l, own: o, keys: map[trafficKey]*endpointTraffic{}, all: map[marketing.Operation]*window{}}
}

// limit returns mchid's limit of op. Callers hold mu.
func (t *traffic) limit(mchid string, op marketing.Operation) int {
	if n, ok := t.own[mchid][op]; ok {
		return n
	}
	return t.limits[op]
}

func (t *traffic) key(k trafficKey) *endpointTraffic {
	e := t.keys[k]
	if e == nil {
		e = &endpointTraffic{}
		t.keys[k] = e
	}
	return e
}

// begin counts a request that arrived.
func (t *traffic) begin(mchid string, op marketing.Operation) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.key(trafficKey{mchid, op}).stats.Requests++
}

// finish counts the answer to a request counted by begin.
func (t *traffic) finish(mchid string, op marketing.Operation, status int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.key(trafficKey{mchid, op}).stats
	switch {
	case status >= 200 && status < 300:
		s.Status2xx++
	case status == 429:
		s.Status429++
	case status >= 400 && status < 500:
		s.Status4xx++
	case status >= 500:
		s.Status5xx++
	}
}

// allow reports whether mchid may make one more op request now and, if so,
// records it as accepted.
func (t *traffic) allow(mchid string, op marketing.Operation, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.key(trafficKey{mchid, op}).accepted.allow(now, t.limit(mchid, op)) {
		return false
	}
	all := t.all[op]
	if all == nil {
		all = &window{}
		t.all[op] = all
	}
	all.allow(now, 0)
	return true
}

// setLimit changes op's limit for every merchant (0 or negative: unlimited).
func (t *traffic) setLimit(op marketing.Operation, perSecond int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.limits[op] = perSecond
}

// limitsCopy returns the current limits.
func (t *traffic) limitsCopy() map[marketing.Operation]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[marketing.Operation]int, len(t.limits))
	for op, n := range t.limits {
		out[op] = n
	}
	return out
}

// statsFor returns one merchant's counters for op.
func (t *traffic) statsFor(mchid string, op marketing.Operation) EndpointStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.keys[trafficKey{mchid, op}]
	if e == nil {
		return EndpointStats{}
	}
	s := e.stats
	s.MaxAcceptedPerSecond = e.accepted.max
	return s
}

// stats returns op's counters summed over all merchants.
func (t *traffic) stats(op marketing.Operation) EndpointStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s EndpointStats
	for k, e := range t.keys {
		if k.op == op {
			s.add(e.stats)
		}
	}
	if all := t.all[op]; all != nil {
		s.MaxAcceptedPerSecond = all.max
	}
	return s
}

// reset zeroes every counter and maximum; the limiter keeps its window, so a
// reset never lets a burst through.
func (t *traffic) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range t.keys {
		e.stats = EndpointStats{}
		e.accepted.resetMax()
	}
	for _, w := range t.all {
		w.resetMax()
	}
}
