package worker

import (
	"context"
	"errors"
	"time"

	"github.com/couponq/couponq/ratelimit"
)

// Budget is the rate budget the worker spends: one slot per HTTP attempt,
// per flow (merchant account and job type), shared by the whole fleet.
// *ratelimit.Limiter provides it through internal/node. A nil Budget in
// Config means unpaced (tests, or a stand-in without limits).
type Budget interface {
	// Reserve returns the next slot of f for this process, blocking until
	// one is reserved (it may be due a little later: see Slot.Due).
	Reserve(ctx context.Context, f Flow) (Slot, error)
	// Throttled reports a 429 for f so the fleet slows down.
	Throttled(ctx context.Context, f Flow)
}

// Slot is one reserved send time: exactly one of Wait (then send one
// request) or Release.
type Slot interface {
	// Due is how long until the slot may be used (<= 0: now).
	Due() time.Duration
	// Wait blocks until the slot is due. It fails with an error wrapping
	// ErrSlotMissed when the slot is already too late to be used safely:
	// nothing may be sent with it; reserve another.
	Wait(ctx context.Context) error
	// Release gives an unused slot back.
	Release()
}

// Acceptor is an optional extension of Budget: Accepted reports that the
// API answered a request of f without 429, which ends a 429 storm at once.
// *ratelimit.Limiter provides it through internal/node.
type Acceptor interface {
	Accepted(ctx context.Context, f Flow)
}

// AheadReserver is an optional extension of Budget: ReserveAhead is
// Reserve for a flow that will ask again at once, up to ahead more times
// (it has a backlog), so the budget may reserve those slots in the same
// round trip. *ratelimit.Limiter provides it through internal/node.
type AheadReserver interface {
	ReserveAhead(ctx context.Context, f Flow, ahead int) (Slot, error)
}

// Deferrer is an optional extension of Budget: ReserveOrDefer is
// ReserveAhead for a caller that would rather not wait for a slot that is
// far away. It returns either a slot, or no slot (nil, no error) and how
// long until one may be had, holding nothing for the caller meanwhile.
// *ratelimit.Limiter provides it through internal/node.
type Deferrer interface {
	ReserveOrDefer(ctx context.Context, f Flow, ahead int) (Slot, time.Duration, error)
}

// accepted tells b, when it listens, that the API accepted a request of f.
func accepted(ctx context.Context, b Budget, f Flow) {
	if a, ok := b.(Acceptor); ok {
		a.Accepted(ctx, f)
	}
}

// ErrSlotMissed is ratelimit.ErrSlotMissed: a slot found too late to send
// with (a request sent then could make a sliding second hold more than the
// limit). Missing a slot sends nothing and is not an attempt.
var ErrSlotMissed = ratelimit.ErrSlotMissed

// ErrNoBudget is wrapped when no rate budget could be had within
// maxBudgetWait (the fleet's shared pacing state is unreachable). The job is
// handed back for later; nothing was sent, and it is not an attempt.
var ErrNoBudget = errors.New("no rate-limit budget")

// maxBudgetWait bounds one wait for a slot. In a healthy fleet a wait lasts
// one horizon at most (slots are reserved just before they are due); past
// this the shared pacing state is unreachable, and the job is handed back
// rather than held delivered-but-unacknowledged.
const maxBudgetWait = 2 * time.Minute

// reserve asks b for a slot of f within maxBudgetWait; a nil Budget gives a
// slot that is due at once.
func reserve(ctx context.Context, b Budget, f Flow) (Slot, error) {
	return reserveAhead(ctx, b, f, 0)
}

// reserveAhead is reserve for a flow with ahead more jobs to send at once
// (see AheadReserver).
func reserveAhead(ctx context.Context, b Budget, f Flow, ahead int) (Slot, error) {
	s, _, err := reserveSlot(ctx, b, f, ahead, false)
	return s, err
}

// reserveOrDefer is reserveAhead for a flow runner that would rather stop
// while its flow's next slot is far (see Deferrer): it returns no slot and
// how long until one may be had, or a slot as reserveAhead does.
func reserveOrDefer(ctx context.Context, b Budget, f Flow, ahead int) (Slot, time.Duration, error) {
	return reserveSlot(ctx, b, f, ahead, true)
}

// reserveSlot is the one wait for budget behind reserve, reserveAhead and
// reserveOrDefer: it asks b through the most specific extension that
// applies (Deferrer when deferrable, AheadReserver when ahead > 0, else
// Reserve), within maxBudgetWait; a failure while ctx is live is
// ErrNoBudget.
func reserveSlot(ctx context.Context, b Budget, f Flow, ahead int, deferrable bool) (Slot, time.Duration, error) {
	if b == nil {
		return freeSlot{}, 0, nil
	}
	wctx, cancel := context.WithTimeout(ctx, maxBudgetWait)
	defer cancel()
	var s Slot
	var later time.Duration
	var err error
	if d, ok := b.(Deferrer); ok && deferrable {
		s, later, err = d.ReserveOrDefer(wctx, f, ahead)
	} else if a, ok := b.(AheadReserver); ok && ahead > 0 {
		s, err = a.ReserveAhead(wctx, f, ahead)
	} else {
		s, err = b.Reserve(wctx, f)
	}
	if err != nil && ctx.Err() == nil {
		return nil, 0, errors.Join(ErrNoBudget, err)
	}
	return s, later, err
}

// freeSlot is the slot of an unpaced worker.
type freeSlot struct{}

func (freeSlot) Due() time.Duration         { return 0 }
func (freeSlot) Wait(context.Context) error { return nil }
func (freeSlot) Release()                   {}
