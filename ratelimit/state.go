package ratelimit

import (
	"encoding/json"
	"fmt"
)

// state is the shared pacing state of one key, the value of its entry in the
// state bucket. All times are JetStream-server unix nanoseconds.
type state struct {
	// TAT is the theoretical arrival time: the earliest time the next slot
	// may be reserved at.
	TAT int64 `json:"tat"`
	// Cut is when the budget was last cut after a 429 (0: never).
	Cut int64 `json:"cut,omitempty"`
	// WMax is the budget, as a fraction of the limit, when the 429 came.
	WMax float64 `json:"wmax,omitempty"`
	// Beta is the budget multiplier of the last cut (0: aimd.beta).
	Beta float64 `json:"beta,omitempty"`
	// K is how long the probe takes to climb back to WMax, in ns.
	K int64 `json:"k,omitempty"`
	// Cuts counts the cuts applied, fleet-wide.
	Cuts uint64 `json:"cuts,omitempty"`
	// Storm is when a 429 storm began (0: none): the API refused every
	// request for a while, so the fleet only probes (aimd.probe) until it
	// accepts one again.
	Storm int64 `json:"storm,omitempty"`
	// Win is when the current one-second count of granted slots began,
	// WinN the slots granted since, PrevN those of the second before it
	// (0 when that second was idle or long ago): what the API's sliding
	// window holds, read by estimate.go. Win 0: unknown.
	Win   int64  `json:"win,omitempty"`
	WinN  uint64 `json:"winn,omitempty"`
	PrevN uint64 `json:"prevn,omitempty"`
	// Void, when not 0, is the pace an estimated cut set at Cut: slots
	// granted before it that lie between Cut and Void must not be used.
	Void int64 `json:"void,omitempty"`
}

func (s state) encode() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode pacing state: %w", err)
	}
	return b, nil
}

func decodeState(b []byte) (state, error) {
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return state{}, fmt.Errorf("decode pacing state: %w", err)
	}
	return s, nil
}
