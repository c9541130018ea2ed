package opshttp

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/couponq/couponq/internal/fleetview"
	"github.com/couponq/couponq/internal/metrics"
)

// statsBody is the /api/stats answer: the current figures and the history
// the dashboard charts.
type statsBody struct {
	// At is when the latest sample was taken.
	At        time.Time `json:"at"`
	Version   string    `json:"version"`
	Readiness readiness `json:"readiness"`
	// IntervalSeconds is the sampling interval.
	IntervalSeconds float64 `json:"interval_seconds"`
	// Fleet is the latest snapshot; null when it failed (see FleetError).
	Fleet      *fleetview.Snapshot `json:"fleet"`
	FleetError string              `json:"fleet_error,omitempty"`
	Types      []typeStats         `json:"types"`
	History    history             `json:"history"`
}

// typeStats is one job type's current figures: this worker's counters and
// the fleet's backlog, dead letters and limits (summed over merchants).
type typeStats struct {
	Type string `json:"type"`
	local
	Backlog  uint64  `json:"backlog"`
	DLQDepth uint64  `json:"dlq_depth"`
	Limit    float64 `json:"limit"`
	Budget   float64 `json:"budget"`
	Paced    float64 `json:"paced"`
	// SendRate is this worker's API calls per second over the last interval.
	SendRate num `json:"send_rate"`
}

// history is column-oriented: T[i] belongs with every series' [i].
type history struct {
	// T is each sample's time, Unix milliseconds.
	T     []int64            `json:"t"`
	Types map[string]*series `json:"types"`
}

// series is one type's history; null where unknown.
type series struct {
	// Sent is this worker's API calls per second since the previous sample.
	Sent    []num `json:"sent"`
	Limit   []num `json:"limit"`
	Budget  []num `json:"budget"`
	Paced   []num `json:"paced"`
	Backlog []num `json:"backlog"`
}

// stats serves statsBody.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	samples, cur := s.sampler.view()
	body := statsBody{
		At:              cur.at,
		Version:         s.cfg.Version,
		Readiness:       s.readiness(r.Context()),
		IntervalSeconds: s.cfg.SampleEvery.Seconds(),
		History:         buildHistory(samples),
		Types:           []typeStats{},
	}
	if cur.fleetErr != nil {
		body.FleetError = cur.fleetErr.Error()
	} else {
		body.Fleet = &cur.fleet
	}
	for _, t := range typeNames(cur) {
		ts := typeStats{Type: t, local: local{FailedByCode: map[string]float64{}}, SendRate: num(math.NaN())}
		if l := cur.local[t]; l != nil {
			ts.local = *l
		}
		ts.Backlog, ts.DLQDepth = cur.fleet.Backlog[t], cur.fleet.DLQDepth[t]
		for _, l := range cur.fleet.Limits {
			if l.Type == t {
				ts.Limit += l.Limit
				ts.Budget += l.Budget
				ts.Paced += l.Rate
			}
		}
		if h := body.History.Types[t]; h != nil && len(h.Sent) > 0 {
			ts.SendRate = h.Sent[len(h.Sent)-1]
		}
		body.Types = append(body.Types, ts)
	}
	writeJSON(w, http.StatusOK, body)
}

// typeNames lists the types to show, sorted: every type with local or fleet
// figures, and metrics.Other only when something fell into it.
func typeNames(cur latest) []string {
	seen := map[string]bool{}
	for t, l := range cur.local {
		if t != metrics.Other || l.Succeeded+l.Failed+l.APICalls+l.InFlight+l.DeadLetters > 0 {
			seen[t] = true
		}
	}
	for t := range cur.fleet.Backlog {
		seen[t] = true
	}
	for t := range cur.fleet.DLQDepth {
		seen[t] = true
	}
	for _, l := range cur.fleet.Limits {
		seen[l.Type] = true
	}
	names := make([]string, 0, len(seen))
	for t := range seen {
		names = append(names, t)
	}
	slices.Sort(names)
	return names
}

// buildHistory turns samples (oldest first) into series; the send rate is
// the API call difference to the previous sample over the time between.
func buildHistory(samples []sample) history {
	h := history{T: make([]int64, len(samples)), Types: map[string]*series{}}
	for i, smp := range samples {
		h.T[i] = smp.at.UnixMilli()
		for t, p := range smp.types {
			sr := h.Types[t]
			if sr == nil {
				sr = newSeries(len(samples))
				h.Types[t] = sr
			}
			sent := math.NaN()
			if i > 0 {
				prev, ok := samples[i-1].types[t]
				if dt := smp.at.Sub(samples[i-1].at).Seconds(); ok && dt > 0 {
					sent = (p.apiCalls - prev.apiCalls) / dt
				}
			}
			sr.Sent[i], sr.Limit[i], sr.Budget[i] = num(sent), num(p.limit), num(p.budget)
			sr.Paced[i], sr.Backlog[i] = num(p.paced), num(p.backlog)
		}
	}
	return h
}

func newSeries(n int) *series {
	nan := func() []num {
		s := make([]num, n)
		for i := range s {
			s[i] = num(math.NaN())
		}
		return s
	}
	return &series{Sent: nan(), Limit: nan(), Budget: nan(), Paced: nan(), Backlog: nan()}
}

// num is a float that encodes NaN and infinities as JSON null.
type num float64

// MarshalJSON encodes n, or null when it is not finite.
func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'f', -1, 64), nil
}
