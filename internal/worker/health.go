package worker

import (
	"fmt"
	"sync"

	"github.com/couponq/couponq/jobs"
)

// health remembers which intake pulls are failing (JetStream not answering:
// a stream without a leader, a lost consumer), so readiness drops while they
// fail and recovers with the first pull that works.
type health struct {
	mu      sync.Mutex
	failing map[jobs.Type]error
}

func (h *health) failed(t jobs.Type, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing == nil {
		h.failing = map[jobs.Type]error{}
	}
	h.failing[t] = err
}

func (h *health) ok(t jobs.Type) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.failing, t)
}

// err names one failing pull, or is nil.
func (h *health) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for t, err := range h.failing {
		return fmt.Errorf("pulling %s jobs fails (%d types failing): %w", t, len(h.failing), err)
	}
	return nil
}
