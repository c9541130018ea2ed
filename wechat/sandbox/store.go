package sandbox

import (
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	"github.com/couponq/couponq/wechat/marketing"
)

// beijing is the zone WeChat Pay writes its times in.
var beijing = time.FixedZone("CST", 8*60*60)

// store is the sandbox's state: who used which coupon, what each request
// number answered, the product coupons' current display info. One mutex guards
// it; every operation is a few map lookups plus rendering one JSON answer, so
// it sustains thousands of requests per second.
type store struct {
	mu        sync.Mutex
	now       func() time.Time
	fix       *fixtures
	merchants map[string]*merchantState
	effects   map[marketing.Operation]int
}

// merchantState is everything one merchant has done.
type merchantState struct {
	done      map[doneKey]*record
	busifavor map[string]*busifavorCoupon // by stock id + "/" + code
	users     map[string]*userCoupon      // by product stock id + "/" + code
	products  map[string]*productVersion  // current version by product_coupon_id
}

// doneKey names a request number of one endpoint.
type doneKey struct {
	op marketing.Operation
	no string
}

// record is what a request number answered, so that the same request gets
// the same answer again. Exactly one of body, user and product is set.
type record struct {
	fingerprint [sha256.Size]byte
	body        []byte
	user        *userCoupon // product_coupon.use: the coupon ...
	usedAfter   int         // ... as it was after this use
	product     *productVersion
}

// fingerprint identifies a request's parameters: the path (which holds path
// parameters) and the exact body bytes.
func fingerprint(path string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(body)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

func newStore(now func() time.Time, fix *fixtures) *store {
	return &store{now: now, fix: fix, merchants: map[string]*merchantState{}, effects: map[marketing.Operation]int{}}
}

// merchant returns mchid's state, creating it with the fixtures. Callers hold mu.
func (st *store) merchant(mchid string) *merchantState {
	m := st.merchants[mchid]
	if m == nil {
		m = &merchantState{
			done:      map[doneKey]*record{},
			busifavor: map[string]*busifavorCoupon{},
			users:     map[string]*userCoupon{},
			products:  map[string]*productVersion{},
		}
		for id, pf := range st.fix.products {
			m.products[id] = newProductVersion(pf, pf.coupon["display_info"])
		}
		st.merchants[mchid] = m
	}
	return m
}

// replay looks up a request number. It returns (answer, nil, true) for a
// repeat of the same request, (nil, conflict, true) for the same number with
// different parameters, and ok false for a new number. Callers hold mu.
func (st *store) replay(m *merchantState, op marketing.Operation, no string, fp [sha256.Size]byte, conflict *apiError) ([]byte, *apiError, bool) {
	r := m.done[doneKey{op, no}]
	if r == nil {
		return nil, nil, false
	}
	if r.fingerprint != fp {
		return nil, conflict, true
	}
	body, err := st.render(r)
	if err != nil {
		return nil, err, true
	}
	return body, nil, true
}

// render produces a recorded answer.
func (st *store) render(r *record) ([]byte, *apiError) {
	switch {
	case r.user != nil:
		return st.renderUserCoupon(r.user, r.usedAfter)
	case r.product != nil:
		return marshalAnswer(r.product.updateView)
	default:
		return r.body, nil
	}
}

// effect counts one state change of op. Callers hold mu.
func (st *store) effect(op marketing.Operation) {
	st.effects[op]++
}

// effectCount returns how many state changes op has made.
func (st *store) effectCount(op marketing.Operation) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.effects[op]
}

// timestamp formats t as WeChat Pay does (RFC 3339, Beijing time).
func timestamp(t time.Time) string {
	return t.In(beijing).Format(time.RFC3339)
}

// systemError is the answer when the sandbox itself fails.
func systemError(msg string) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "SYSTEM_ERROR", Message: msg}
}
