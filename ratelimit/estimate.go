package ratelimit

import (
	"fmt"
	"math"
	"time"
)

// This file reads the API's real limit from a 429, for a configured limit
// higher than what the API accepts (issue 9, target 3: a real limit at 60%
// of the configured one).
//
// The API counts accepted requests per sliding second, and answers 429 only
// when its window is full. So at the first 429 after a while without one,
// the requests the fleet sent in the last second, less the one refused, are
// what the API accepts per second (or what is left of it beside other
// callers of the same account): a measurement rather than a guess. The
// shared state counts the slots granted per second (Win, WinN, PrevN) for
// that; slots granted but not yet due were not sent.
//
// Every cut uses it: the budget's plateau (WMax, where the probe lingers
// after a cut) becomes the lower of the budget at the 429 and the measured
// rate. The ordinary cut alone (×0.85 per second, aimd.go) needs about three
// seconds to get from 100% to 60%, drawing a 429 for every request above the
// real limit meanwhile (10% of a 10-second burst), and then lingers at the
// budget where the 429 came, which lies above the real limit because the
// API's window absorbs a small excess for a while.
//
// When the measured rate is far below the budget (lower than the hold's
// β × budget: a burst ran into a much lower limit), the slots reserved
// before the cut at the old pace (up to one horizon) would nearly all draw
// 429s. Then they are void (state.Void): Slot.Wait refuses them with
// ErrSlotMissed and the caller reserves again, behind the new pace. And
// when the whole window's requests were sent since Win (the burst began
// less than a second ago), nothing is accepted until the first of them is
// a second old, so the next slot moves to Win + apiWindow.
//
// The measured rate is bounded below by estimateFloor of the budget at the
// cut, so a 429 that says little (other callers filled the window, a
// transient refusal) costs at most that much; ordinary cuts go on from there.

// apiWindow is the API's counting window: WeChat Pay's limits are quotas
// per second.
const apiWindow = time.Second

// estimateFloor bounds a measured plateau: at least this fraction of the
// budget at the cut.
const estimateFloor = 0.5

// countAfter returns the per-second slot counts once g is granted at now.
// Slots are counted by their own times (a grant may lie up to one horizon
// ahead): Win is the time of the first slot of the current second. A grant
// after an idle window (the last slot more than apiWindow before now)
// starts counting afresh; otherwise the count rolls over every second.
func countAfter(st state, now int64, g grant) (win int64, winN, prevN uint64) {
	w := int64(apiWindow)
	switch {
	case st.Win == 0 || st.TAT < now-w:
		return g.first, uint64(g.n), 0
	case g.first-st.Win >= 2*w:
		return g.first, uint64(g.n), 0
	case g.first-st.Win >= w:
		return g.first, uint64(g.n), st.WinN
	}
	return st.Win, st.WinN + uint64(g.n), st.PrevN
}

// uncount takes slots granted but never sent (their times) off st's
// per-second counts, so the measured rate counts only requests sent.
func uncount(st state, unused []int64) state {
	w := int64(apiWindow)
	for _, at := range unused {
		switch {
		case at >= st.Win && st.WinN > 0:
			st.WinN--
		case at < st.Win && at >= st.Win-w && st.PrevN > 0:
			st.PrevN--
		}
	}
	return st
}

// unusedLocked records a slot granted but never sent, for uncount.
func (q *keyQueue) unusedLocked(at int64) {
	if len(q.unused) < maxUnused {
		q.unused = append(q.unused, at)
	}
}

// maxUnused bounds the unused slots a process remembers between two of its
// reservations (more than a second of them at 500/s is a process that
// sends nothing; the counts then overstate, and ordinary cuts follow).
const maxUnused = 1024

// measured returns the requests sent in the API's window ending at now,
// less the one refused with 429 (a fraction of limit), and whether the
// counts allow reading it: the slots counted (this second and the one
// before it) less those not yet due and those of the previous second
// already out of the window.
func (a aimd) measured(st state, now int64, limit, headroom float64) (float64, bool) {
	w := int64(apiWindow)
	if st.Win == 0 || st.Storm != 0 || now-st.Win >= w {
		return 0, false
	}
	iv := interval(rate(limit, headroom, a.budget(st, now)))
	pending := int64(0)
	if st.TAT > now { // the last slot granted is TAT − iv
		pending = (st.TAT - now - 1) / iv
	}
	sent := float64(int64(st.WinN+st.PrevN)-pending) - float64(st.PrevN)*a.leftWindow(st, now)
	if now < st.Win {
		// This second's slots all lie ahead: the window reaches back
		// into the second before the previous one, not counted; take it
		// at the previous second's rate.
		sent += float64(st.PrevN) * float64(st.Win-now) / float64(w)
	}
	accepted := math.Floor(sent) - 1
	if accepted < 1 {
		return 0, false
	}
	return accepted / limit, true
}

// leftWindow is the share of the previous second's slots (those in
// [Win−apiWindow, Win]) already out of the API's window ending at now.
// Slots follow the paced rate, which rises after a cut, so the share is
// taken in proportion to the budget over time when the state's curve
// governed that whole time (no cut since Win−apiWindow), and to time
// otherwise.
func (a aimd) leftWindow(st state, now int64) float64 {
	w := int64(apiWindow)
	from, to := st.Win-w, now-w // the part of the previous second out of the window
	if to <= from {
		return 0
	}
	if st.Cut > from {
		return float64(to-from) / float64(w)
	}
	whole := a.paced(st, from, st.Win)
	if whole <= 0 {
		return float64(to-from) / float64(w)
	}
	return min(a.paced(st, from, to)/whole, 1)
}

// paced integrates the budget of st over [from, to] (midpoint rule).
func (a aimd) paced(st state, from, to int64) float64 {
	const steps = 32
	d := float64(to-from) / steps
	sum := 0.0
	for i := range steps {
		sum += a.budget(st, from+int64((float64(i)+0.5)*d))
	}
	return sum * d
}

// cutAt applies a 429 at now to st (see the top of this file). It reports
// false, leaving st alone, within the hold of the previous cut or during a
// storm.
func (a aimd) cutAt(st state, now int64, limit, headroom float64) (state, bool) {
	next, ok := a.throttle(st, now, limit)
	if !ok {
		return st, false
	}
	next.Void = 0
	w := next.WMax
	f, ok := a.measured(st, now, limit, headroom)
	if !ok || f >= w {
		return next, true
	}
	f = max(f, w*estimateFloor, a.floor)
	k := time.Duration(a.probeRequests / (f * limit) * float64(time.Second))
	next.WMax = f
	next.Beta = a.measuredBeta
	next.K = int64(min(max(k, a.minK), a.maxK))
	if f < a.beta*w {
		next.TAT = st.TAT
		if st.PrevN == 0 {
			next.TAT = max(st.TAT, st.Win+int64(apiWindow))
		}
		next.Void = next.TAT
	}
	return next, true
}

// voidLocked says whether a slot at server time at was granted before a
// cut that voided it: it lies after the cut and before the pace the cut
// set.
func (q *keyQueue) voidLocked(at int64) bool {
	c := q.cache
	return c.known && c.exists && c.st.Void != 0 && at > c.st.Cut && at < c.st.Void
}

// voidErr is Slot.Wait's error for a voided slot.
func (q *keyQueue) voidErr() error {
	return fmt.Errorf("ratelimit: slot for %s voided by a budget cut: %w", q.key, ErrSlotMissed)
}
