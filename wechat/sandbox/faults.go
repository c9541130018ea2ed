package sandbox

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/couponq/couponq/wechat/marketing"
)

// FaultKind is what an injected fault does to a request. A fault applies to
// requests that passed the signature check and the rate limiter.
type FaultKind int

const (
	// FailBeforeEffect answers 500 SYSTEM_ERROR without changing anything.
	FailBeforeEffect FaultKind = iota + 1
	// FailAfterEffect processes the request (a redemption or update takes
	// effect and its answer is remembered under the request number) and
	// then answers 500 SYSTEM_ERROR; a retry with the same request number
	// gets the idempotent 200.
	FailAfterEffect
	// Latency waits Fault.Delay before processing the request; the wait ends
	// early, with no answer, when the client gives up.
	Latency
	// Hang never answers: the request blocks until the client cancels it,
	// and nothing changes.
	Hang
	// ProbeSignature processes the request and, when the answer is 2xx, sends
	// a Wechatpay-Signature of "WECHATPAY/SIGNTEST/" plus random text, as
	// WeChat Pay does to probe that clients verify signatures.
	ProbeSignature
	// TamperBody processes the request and, when the answer is 2xx, changes
	// the body after signing it.
	TamperBody
	// BusifavorSystemError answers 400 SYSTEM_ERROR (the busifavor documents'
	// "retry later with the same parameters") without changing anything.
	BusifavorSystemError
	// RateLimited answers 429 with the endpoint's rate-limit code, as if the
	// API's quota were exhausted, before the sandbox's own rate limiter sees
	// the request (it does not count as accepted). With a large Count,
	// cleared later with ClearFaults, it is a 429 storm.
	RateLimited
)

var faultKindNames = map[FaultKind]string{
	FailBeforeEffect:     "fail_before_effect",
	FailAfterEffect:      "fail_after_effect",
	Latency:              "latency",
	Hang:                 "hang",
	ProbeSignature:       "probe_signature",
	TamperBody:           "tamper_body",
	BusifavorSystemError: "busifavor_system_error",
	RateLimited:          "rate_limited",
}

// String returns the kind's name as used in the admin API ("fail_before_effect", ...).
func (k FaultKind) String() string {
	if n, ok := faultKindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// ParseFaultKind returns the kind named s (see FaultKind.String).
func ParseFaultKind(s string) (FaultKind, error) {
	for k, n := range faultKindNames {
		if n == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("sandbox: unknown fault kind %q", s)
}

// MarshalText encodes the kind by name.
func (k FaultKind) MarshalText() ([]byte, error) {
	if _, ok := faultKindNames[k]; !ok {
		return nil, fmt.Errorf("sandbox: unknown fault kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText decodes a kind name.
func (k *FaultKind) UnmarshalText(b []byte) error {
	v, err := ParseFaultKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Fault is a failure to inject into the next Count requests of Op (0 means 1).
// Delay is the added latency of a Latency fault. In JSON (the admin API) it is
// {"op":"busifavor.use","kind":"latency","count":2,"delay":"1.5s"}.
type Fault struct {
	Op    marketing.Operation
	Kind  FaultKind
	Count int
	Delay time.Duration
}

type faultJSON struct {
	Op    marketing.Operation `json:"op"`
	Kind  FaultKind           `json:"kind"`
	Count int                 `json:"count,omitempty"`
	Delay string              `json:"delay,omitempty"`
}

// MarshalJSON encodes the fault with Delay as a Go duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{Op: f.Op, Kind: f.Kind, Count: f.Count}
	if f.Delay != 0 {
		j.Delay = f.Delay.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes and checks a fault; op and kind must be known.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j faultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	v := Fault{Op: j.Op, Kind: j.Kind, Count: j.Count}
	if j.Delay != "" {
		d, err := time.ParseDuration(j.Delay)
		if err != nil {
			return fmt.Errorf("delay: %w", err)
		}
		v.Delay = d
	}
	if err := v.validate(); err != nil {
		return err
	}
	*f = v
	return nil
}

// validate checks the fault names a known operation and kind.
func (f Fault) validate() error {
	if _, err := marketing.ParseOperation(string(f.Op)); err != nil {
		return fmt.Errorf("sandbox: fault op: %w", err)
	}
	if _, ok := faultKindNames[f.Kind]; !ok {
		return fmt.Errorf("sandbox: fault kind %d is unknown", int(f.Kind))
	}
	if f.Count < 0 {
		return fmt.Errorf("sandbox: fault count %d is negative", f.Count)
	}
	if f.Delay < 0 {
		return fmt.Errorf("sandbox: fault delay %s is negative", f.Delay)
	}
	return nil
}

// faultQueue holds the injected faults per operation, first in, first out.
type faultQueue struct {
	mu     sync.Mutex
	queued map[marketing.Operation][]Fault // Count is what is left, >= 1
}

func (q *faultQueue) push(f Fault) {
	if f.Count == 0 {
		f.Count = 1
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.queued == nil {
		q.queued = map[marketing.Operation][]Fault{}
	}
	q.queued[f.Op] = append(q.queued[f.Op], f)
}

// take returns the fault for the next request of op and uses up one of its
// count; ok is false when none is queued.
func (q *faultQueue) take(op marketing.Operation) (f Fault, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	list := q.queued[op]
	if len(list) == 0 {
		return Fault{}, false
	}
	f = list[0]
	if list[0].Count--; list[0].Count == 0 {
		q.queued[op] = list[1:]
	}
	f.Count = 1
	return f, true
}

// takeKind uses up one request of the next fault of op when it is of kind
// k, and reports whether it did.
func (q *faultQueue) takeKind(op marketing.Operation, k FaultKind) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	list := q.queued[op]
	if len(list) == 0 || list[0].Kind != k {
		return false
	}
	if list[0].Count--; list[0].Count == 0 {
		q.queued[op] = list[1:]
	}
	return true
}

// pending returns how many requests of op the queued faults will still affect.
func (q *faultQueue) pending(op marketing.Operation) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, f := range q.queued[op] {
		n += f.Count
	}
	return n
}

// clear drops every queued fault.
func (q *faultQueue) clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queued = nil
}
