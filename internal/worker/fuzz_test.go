package worker

import (
	"context"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// fuzzMsg is a whole JetStream message as the worker sees it: subject,
// headers, body, metadata. Settling methods do nothing.
type fuzzMsg struct {
	subject string
	header  nats.Header
	data    []byte
}

func (m *fuzzMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{NumDelivered: 1, Sequence: jetstream.SequencePair{Stream: 7, Consumer: 1},
		Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, nil
}
func (m *fuzzMsg) Data() []byte                     { return m.data }
func (m *fuzzMsg) Headers() nats.Header             { return m.header }
func (m *fuzzMsg) Subject() string                  { return m.subject }
func (m *fuzzMsg) Reply() string                    { return "" }
func (m *fuzzMsg) Ack() error                       { return nil }
func (m *fuzzMsg) DoubleAck(context.Context) error  { return nil }
func (m *fuzzMsg) Nak() error                       { return nil }
func (m *fuzzMsg) NakWithDelay(time.Duration) error { return nil }
func (m *fuzzMsg) InProgress() error                { return nil }
func (m *fuzzMsg) Term() error                      { return nil }
func (m *fuzzMsg) TermWithReason(string) error      { return nil }

// FuzzDescribeAndClassify feeds whole messages — subject, a header, the
// message id, body — through what intake does with them (describe, then
// classify). It must never panic; a job it accepts routes to a group whose
// subject parses back to the same group; a job it refuses gets a result
// that survives JSON unchanged (nothing replaced with U+FFFD) and a
// dead-letter reason that is a valid one-line header.
// CI runs it briefly: see .ci/fuzz.
func FuzzDescribeAndClassify(f *testing.F) {
	f.Add(uint8(0), "couponq.jobs.busifavor.stock.get", "X-Trace", "abc", "busifavor.stock.get/s1", []byte(`{"id":"s1","request":{"stock_id":"100088"}}`))
	f.Add(uint8(1), "couponq.jobs.product_coupon.update", "Nats-Msg-Id", "x", "product_coupon.update/PCUPD-1",
		[]byte(`{"request":{"product_coupon_id":"1000000013","out_request_no":"PCUPD-1","brand_id":"120344","display_info":{"name":"好名字呀","image_url":"https://a/b","background_url":"https://a/c"}},"priority":1,"fairness_key":"camp.A"}`))
	f.Add(uint8(2), "couponq.flow.busifavor.use.1900000001.3.~", jobs.HeaderJobSubject, "couponq.jobs.\xff", "busifavor.use/\xfe", []byte("{\"request\":{\"coupon_code\":\"\xff\"}}"))
	f.Add(uint8(3), "couponq.jobs.busifavor.use", "X-\xff", "v", "", []byte(`{"id":"a","id":"b"}`))
	f.Fuzz(func(t *testing.T, typIndex uint8, subject, hkey, hval, msgID string, data []byte) {
		types := jobs.Types()
		typ := types[int(typIndex)%len(types)]
		w := &Worker{merchants: map[string]bool{"1900000001": true}, defMchID: "1900000001"}
		w.cfg.setDefaults()
		h := nats.Header{}
		if hkey != "" {
			h[hkey] = []string{hval}
		}
		if msgID != "" {
			h.Set(jetstream.MsgIDHeader, msgID)
		}
		d := w.describe(typ, &fuzzMsg{subject: subject, header: h, data: data})
		g, o := w.classify(d)
		if o == nil {
			back, ok := parseGroup(g.subject())
			if !ok || back != g {
				t.Fatalf("group %+v: subject %q parses back as %+v, %v", g, g.subject(), back, ok)
			}
			return
		}
		r := o.result
		if r == nil || r.Error == nil || !o.dead {
			t.Fatalf("refused job without a failed result and dead letter: %+v", o)
		}
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
		again, err := jobs.DecodeResult(raw)
		if err != nil {
			t.Fatalf("result does not decode: %v", err)
		}
		if again.ID != r.ID || again.MchID != r.MchID || again.Error.Message != r.Error.Message || again.Type != r.Type {
			t.Fatalf("result changed through JSON:\n%+v\n%+v", r, again)
		}
		reason := headerSafe(r.Error.Message)
		if !utf8.ValidString(reason) || len(reason) > 1024 {
			t.Fatalf("dead-letter reason is not a valid bounded header: %q", reason)
		}
		for _, c := range reason {
			if c == '\r' || c == '\n' {
				t.Fatalf("dead-letter reason spans lines: %q", reason)
			}
		}
	})
}
