package worker

import "time"

// This file keeps an idle flow cheap: a flow whose runner stopped (no group
// with work) more than flowIdle ago is dropped from the dispatcher's map,
// and a group without work for flowIdle is dropped from its flow's map (a
// fairness key of a campaign long over). Either comes back with the next
// notice; the group's consumer handle is then looked up again (one
// JetStream API call), its consumer on the server having stayed (or been
// deleted after its own InactiveThreshold).

// flowIdle is how long an idle flow or group is kept.
const flowIdle = 2 * time.Minute

// dropIdle removes the flows and groups idle since before now-flowIdle.
func (d *dispatcher) dropIdle(now time.Time) {
	d.mu.Lock()
	runners := make([]*flowRunner, 0, len(d.flows))
	for _, f := range d.flows {
		runners = append(runners, f)
	}
	d.mu.Unlock()
	for _, f := range runners {
		if f.dropIdle(now) {
			d.mu.Lock()
			if d.flows[f.flow] == f {
				delete(d.flows, f.flow)
			}
			d.mu.Unlock()
		}
	}
}

// dropIdle drops f's idle groups and reports whether f itself is idle
// enough to go; then it is marked retired, so a notice that found it just
// before looks the flow up again (dispatcher.notify).
func (f *flowRunner) dropIdle(now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for subj, gs := range f.groups {
		if !gs.pending && !gs.idleAt.IsZero() && now.Sub(gs.idleAt) >= flowIdle {
			delete(f.groups, subj)
		}
	}
	held := 0
	for _, n := range f.busy {
		held += n
	}
	if f.running || held > 0 || f.idleAt.IsZero() || now.Sub(f.idleAt) < flowIdle {
		return false
	}
	f.retired = true
	return true
}
