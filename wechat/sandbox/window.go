package sandbox

import "time"

// window holds the timestamps of the requests accepted during the trailing
// second, oldest first, in a ring buffer that grows only to the largest number
// of requests ever accepted within one second. It is not safe for concurrent
// use; its owner holds a lock.
type window struct {
	ring  []time.Time
	head  int // index of the oldest timestamp
	count int
	// max is the most timestamps accepted since the last resetMax that ever
	// lay within one second of each other; it is exact because the busiest
	// window always ends at an accepted timestamp.
	max int64
	// stale counts the oldest held timestamps that were accepted before the
	// last resetMax; they still limit but no longer count towards max.
	stale int
}

// prune drops the timestamps that are a second or more older than now.
func (w *window) prune(now time.Time) {
	for w.count > 0 && !w.ring[w.head].After(now.Add(-time.Second)) {
		w.ring[w.head] = time.Time{}
		w.head = (w.head + 1) % len(w.ring)
		w.count--
		if w.stale > 0 {
			w.stale--
		}
	}
}

// last returns the newest timestamp, or the zero time when there is none.
func (w *window) last() time.Time {
	if w.count == 0 {
		return time.Time{}
	}
	return w.ring[(w.head+w.count-1)%len(w.ring)]
}

// allow reports whether one more request fits within limit at now (limit <= 0
// means unlimited) and, if so, records it. now is clamped so that the window
// stays ordered even when a caller's clock reading is older than the newest
// timestamp.
func (w *window) allow(now time.Time, limit int) bool {
	if l := w.last(); now.Before(l) {
		now = l
	}
	w.prune(now)
	if limit > 0 && w.count >= limit {
		return false
	}
	w.push(now)
	if n := int64(w.count - w.stale); n > w.max {
		w.max = n
	}
	return true
}

// push appends t, growing the ring when full.
func (w *window) push(t time.Time) {
	if w.count == len(w.ring) {
		grown := make([]time.Time, max(8, 2*len(w.ring)))
		for i := 0; i < w.count; i++ {
			grown[i] = w.ring[(w.head+i)%len(w.ring)]
		}
		w.ring, w.head = grown, 0
	}
	w.ring[(w.head+w.count)%len(w.ring)] = t
	w.count++
}

// resetMax forgets the maximum; later maxima count only requests from now on.
func (w *window) resetMax() {
	w.max = 0
	w.stale = w.count
}
