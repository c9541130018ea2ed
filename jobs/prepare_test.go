package jobs_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
)

// shanghai is UTC+8 without a tz database (CI images may lack one).
var shanghai = time.FixedZone("CST", 8*3600)

func TestPrepareFillsUseTime(t *testing.T) {
	event := time.Date(2026, 1, 2, 3, 4, 5, 987654321, shanghai)
	cases := []struct {
		typ jobs.Type
		req string
	}{
		{jobs.TypeBusifavorUse, busifavorUseRequest},
		{jobs.TypeBusifavorUse, withField(t, busifavorUseRequest, "use_time", `""`)},
		{jobs.TypeBusifavorUse, withField(t, busifavorUseRequest, "use_time", `null`)},
		{jobs.TypeProductCouponUse, pcUseRequest},
		{jobs.TypeProductCouponUse, withField(t, pcUseRequest, "use_time", `""`)},
	}
	for _, c := range cases {
		t.Run(string(c.typ), func(t *testing.T) {
			p, err := jobs.Prepare(c.typ, jobs.Job{Request: json.RawMessage(c.req)}, event)
			require.NoError(t, err)
			got, ok := requestField(t, p.Data, "use_time")
			require.True(t, ok, "use_time filled: %s", p.Data)
			// Second precision, in the event's own zone.
			assert.Equal(t, "2026-01-02T03:04:05+08:00", got)
			_, err = jobs.Decode(c.typ, p.Data)
			assert.NoError(t, err, "the prepared job decodes as the worker will see it")
		})
	}
	t.Run("UTC event", func(t *testing.T) {
		p, err := jobs.Prepare(jobs.TypeBusifavorUse, jobs.Job{Request: json.RawMessage(busifavorUseRequest)}, event.UTC())
		require.NoError(t, err)
		got, _ := requestField(t, p.Data, "use_time")
		assert.Equal(t, "2026-01-01T19:04:05Z", got)
	})
}

func TestPrepareKeepsGivenUseTime(t *testing.T) {
	event := time.Date(2030, 6, 7, 8, 9, 10, 0, time.UTC)
	given := []string{useTime, "2026-01-02T03:04:05.123+08:00", "2026-01-02T03:04:05Z"}
	for _, typ := range []jobs.Type{jobs.TypeBusifavorUse, jobs.TypeProductCouponUse} {
		base := busifavorUseRequest
		if typ == jobs.TypeProductCouponUse {
			base = pcUseRequest
		}
		for _, g := range given {
			t.Run(string(typ)+"/"+g, func(t *testing.T) {
				req := withField(t, base, "use_time", `"`+g+`"`)
				p, err := jobs.Prepare(typ, jobs.Job{Request: json.RawMessage(req)}, event)
				require.NoError(t, err)
				got, _ := requestField(t, p.Data, "use_time")
				assert.Equal(t, g, got)
				assert.Contains(t, string(p.Data), `"use_time":"`+g+`"`, "byte for byte")
			})
		}
	}
}

func TestPrepareLeavesOtherTypesAlone(t *testing.T) {
	event := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		typ jobs.Type
		job jobs.Job
	}{
		{jobs.TypeBusifavorStockGet, jobs.Job{ID: "stock-1", Request: json.RawMessage(stockGetRequest)}},
		{jobs.TypeProductCouponUpdate, jobs.Job{Request: json.RawMessage(pcUpdateRequest)}},
	}
	for _, c := range cases {
		t.Run(string(c.typ), func(t *testing.T) {
			p, err := jobs.Prepare(c.typ, c.job, event)
			require.NoError(t, err)
			_, ok := requestField(t, p.Data, "use_time")
			assert.False(t, ok, "no use_time added: %s", p.Data)
			var got struct{ Request json.RawMessage }
			require.NoError(t, json.Unmarshal(p.Data, &got))
			assert.JSONEq(t, string(c.job.Request), string(got.Request))
		})
	}
	// A use_time on a type that has none is not silently dropped: the
	// worker would reject it, so Prepare does too.
	_, err := jobs.Prepare(jobs.TypeProductCouponUpdate,
		jobs.Job{Request: json.RawMessage(withField(t, pcUpdateRequest, "use_time", `"`+useTime+`"`))}, event)
	requireInvalid(t, err, "request.use_time", "unknown field")
}

func TestPrepareIsDeterministic(t *testing.T) {
	event := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, shanghai)
	job := jobs.Job{
		MchID:   "1900000001",
		Request: json.RawMessage(pcUseRequest),
		Meta:    json.RawMessage(`{"z":1, "a":"<b>&"}`),
	}
	first, err := jobs.Prepare(jobs.TypeProductCouponUse, job, event)
	require.NoError(t, err)
	for range 20 {
		again, err := jobs.Prepare(jobs.TypeProductCouponUse, job, event)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	// The same instant in the same zone, different sub-second part: same bytes.
	later, err := jobs.Prepare(jobs.TypeProductCouponUse, job, event.Add(300*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, string(first.Data), string(later.Data))
	// Preparing the prepared job again changes nothing (republish is byte-identical).
	var decoded jobs.Job
	require.NoError(t, json.Unmarshal(first.Data, &decoded))
	twice, err := jobs.Prepare(jobs.TypeProductCouponUse, decoded, event.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, string(first.Data), string(twice.Data))
}

func TestPrepareIdentity(t *testing.T) {
	event := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err := jobs.Prepare(jobs.TypeProductCouponUpdate, jobs.Job{Request: json.RawMessage(pcUpdateRequest)}, event)
	require.NoError(t, err)
	assert.Equal(t, jobs.TypeProductCouponUpdate, p.Type)
	assert.Equal(t, "PC-UPD-0001", p.ID)
	assert.Equal(t, "product_coupon.update/PC-UPD-0001", p.MsgID)
	assert.Equal(t, "couponq.jobs.product_coupon.update", p.Subject)
	var body jobs.Job
	require.NoError(t, json.Unmarshal(p.Data, &body))
	assert.Equal(t, "PC-UPD-0001", body.ID, "the derived id is written into the bytes")

	sg, err := jobs.Prepare(jobs.TypeBusifavorStockGet, jobs.Job{ID: "q:1", Request: json.RawMessage(stockGetRequest)}, event)
	require.NoError(t, err)
	assert.Equal(t, "busifavor.stock.get/q:1", sg.MsgID)
	assert.Equal(t, "couponq.jobs.busifavor.stock.get", sg.Subject)
}

func TestPrepareRejects(t *testing.T) {
	event := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name  string
		typ   jobs.Type
		job   jobs.Job
		field string
		frag  string
	}{
		{"unknown type", jobs.Type("coupon.teleport"), jobs.Job{Request: json.RawMessage(busifavorUseRequest)}, "", `unknown job type "coupon.teleport"`},
		{"empty type", jobs.Type(""), jobs.Job{Request: json.RawMessage(busifavorUseRequest)}, "", "unknown job type"},
		{"missing request", jobs.TypeBusifavorUse, jobs.Job{ID: "X"}, "request", "is required"},
		{"null request", jobs.TypeBusifavorUse, jobs.Job{Request: json.RawMessage(`null`)}, "request", "is required"},
		{"null request, product coupon", jobs.TypeProductCouponUse, jobs.Job{Request: json.RawMessage(`null`)}, "request", "is required"},
		{"request not an object", jobs.TypeBusifavorUse, jobs.Job{Request: json.RawMessage(`["x"]`)}, "request", "must be a JSON object"},
		{"request not an object, no use_time", jobs.TypeProductCouponUpdate, jobs.Job{Request: json.RawMessage(`"x"`)}, "request", "expected object"},
		{"invalid JSON request", jobs.TypeBusifavorUse, jobs.Job{Request: json.RawMessage(`{"a":`)}, "request", ""},
		{"invalid JSON meta", jobs.TypeProductCouponUpdate, jobs.Job{Request: json.RawMessage(pcUpdateRequest), Meta: json.RawMessage(`{`)}, "", "cannot encode job"},
		{"field rule", jobs.TypeBusifavorUse, jobs.Job{Request: json.RawMessage(withField(t, busifavorUseRequest, "appid", `""`))}, "request.appid", "is required"},
		{"id disagrees", jobs.TypeBusifavorUse, jobs.Job{ID: "OTHER", Request: json.RawMessage(busifavorUseRequest)}, "id", "disagrees"},
		{"stock.get without id", jobs.TypeBusifavorStockGet, jobs.Job{Request: json.RawMessage(stockGetRequest)}, "id", "is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p *jobs.Prepared
			var err error
			require.NotPanics(t, func() { p, err = jobs.Prepare(c.typ, c.job, event) })
			assert.Nil(t, p)
			requireInvalid(t, err, c.field, c.frag)
		})
	}
}

func TestPrepareDoesNotModifyTheCallersJob(t *testing.T) {
	req := []byte(busifavorUseRequest)
	job := jobs.Job{Request: json.RawMessage(req)}
	_, err := jobs.Prepare(jobs.TypeBusifavorUse, job, time.Now())
	require.NoError(t, err)
	assert.Equal(t, "", job.ID)
	assert.True(t, bytes.Equal([]byte(busifavorUseRequest), job.Request))
}
