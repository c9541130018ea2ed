package ratelimit

import (
	"math"
	"time"
)

// aimd is the 429 feedback: a multiplicative decrease of the fleet budget
// when the API answers 429, then a CUBIC-shaped probe back up to the
// configured limit. The budget is a pure function of the shared state and the
// server time, so no process has to drive the recovery, and every process
// computes the same budget.
//
// After a cut at time c from budget w (a fraction of the limit), the budget is
// β×w for one hold period, then
//
//	f(t) = w × (1 + (1-β) × ((t-c-hold)/K - 1)³), clamped to [floor, 1]
//
// which rises quickly from β×w, flattens out around w at t = c+hold+K (where
// the 429 came, so it lingers there) and then grows ever faster to 1.
//
// The flat hold matters when 429s persist (the real limit is far below the
// budget): the next cut, one hold later, then starts from β×w, so the budget
// falls by β per hold. Without it the concave rise would have recovered most
// of the cut by then and the budget would fall by only a few percent per
// second. A cut does not pause the key: slots are evenly spaced, so once the
// rate is below the API's limit its sliding window drains by itself; in
// simulation a pause only cost throughput (see docs/rate-limiting.md).
type aimd struct {
	beta float64 // budget multiplier on a cut
	// measuredBeta is the multiplier on a cut to the measured rate
	// (estimate.go): that rate is what the API accepts, so the hold only
	// has to let the full window drain.
	measuredBeta float64
	floor        float64       // lowest budget, as a fraction of the limit
	hold         time.Duration // at most one cut per hold: a burst of 429s counts once
	// probeRequests sets the length K of a recovery: about this many requests
	// are sent between a cut and the return to w, so that one 429 per cycle
	// stays a small fraction of the requests at any rate.
	probeRequests float64
	minK, maxK    time.Duration
	// probe is the budget during a 429 storm, as a fraction of the limit.
	probe float64
	// stormRun and stormSpan detect a storm in one process: this many 429s
	// in a row, with no accepted answer between them, over at least this
	// long (longer than the slots reserved before a cut take to drain).
	stormRun  int
	stormSpan time.Duration
}

func defaultAIMD() aimd {
	return aimd{
		beta:          0.85,
		measuredBeta:  0.95,
		floor:         0.05,
		hold:          time.Second,
		probeRequests: 600,
		minK:          2 * time.Second,
		maxK:          30 * time.Second,
		probe:         0.05,
		stormRun:      8,
		stormSpan:     300 * time.Millisecond,
	}
}

// budget is the fraction of the configured limit usable at server time now.
func (a aimd) budget(st state, now int64) float64 {
	if st.Storm != 0 {
		return a.probe
	}
	if st.Cut == 0 || st.K <= 0 {
		return 1
	}
	beta := a.betaOf(st)
	since := now - st.Cut - int64(a.hold)
	if since < 0 {
		return min(max(st.WMax*beta, a.floor), 1)
	}
	x := float64(since)/float64(st.K) - 1
	f := st.WMax * (1 + (1-beta)*x*x*x)
	return min(max(f, a.floor), 1)
}

// betaOf is the multiplier of st's last cut: measuredBeta after a cut to
// a measured rate (estimate.go), beta otherwise.
func (a aimd) betaOf(st state) float64 {
	if st.Beta > 0 {
		return st.Beta
	}
	return a.beta
}

// throttle applies a 429 reported at server time now to st for a key whose
// configured limit is limit (requests per second). It reports false, leaving
// st alone, when a cut happened less than hold ago: that 429 is part of the
// burst the previous cut already answered.
func (a aimd) throttle(st state, now int64, limit float64) (state, bool) {
	if st.Storm != 0 || st.Cut != 0 && now-st.Cut < int64(a.hold) {
		return st, false
	}
	w := a.budget(st, now)
	k := time.Duration(a.probeRequests / (w * limit) * float64(time.Second))
	k = min(max(k, a.minK), a.maxK)
	st.WMax = w
	st.Beta = 0
	st.Cut = now
	st.K = int64(k)
	st.Cuts++
	return st, true
}

// rate is the paced rate in requests per second for a budget fraction f.
func rate(limit, headroom, f float64) float64 {
	r := limit * headroom * f
	if math.IsNaN(r) || r <= 0 {
		return limit * headroom * 0.01
	}
	return r
}

// storm puts st into a 429 storm at now: the budget drops to the probe
// rate. It reports false when st is in one already.
func (a aimd) storm(st state, now int64) (state, bool) {
	if st.Storm != 0 {
		return st, false
	}
	st.Storm = now
	return st, true
}

// calm ends a storm: the API accepted a request again, so the budget
// returns to what it was before the storm's first 429 (the storm was the
// API's, not a lower limit: were the limit lower, the ordinary cuts find it).
func (a aimd) calm(st state) (state, bool) {
	if st.Storm == 0 {
		return st, false
	}
	st.Storm, st.Cut, st.WMax, st.K = 0, 0, 0, 0
	return st, true
}
