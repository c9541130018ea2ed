package jobs

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prepareReference is Prepare as it was before its fast paths: fill
// use_time through a map, json.Marshal, Decode, json.Marshal again with
// the derived id. Prepare must give the same bytes, id and errors.
func prepareReference(t Type, job Job, eventTime time.Time) (*Prepared, error) {
	if _, err := ParseType(string(t)); err != nil {
		return nil, &InvalidJobError{Reason: err.Error(), Err: err}
	}
	if t.UsesUseTime() && len(job.Request) > 0 {
		filled, err := fillUseTime(job.Request, eventTime)
		if err != nil {
			return nil, err
		}
		job.Request = filled
	}
	data, err := json.Marshal(job)
	if err != nil {
		return nil, &InvalidJobError{Reason: "cannot encode job: " + err.Error(), Err: err}
	}
	d, err := Decode(t, data)
	if err != nil {
		return nil, err
	}
	if job.ID == "" {
		job.ID = d.ID
		if data, err = json.Marshal(job); err != nil {
			return nil, &InvalidJobError{Reason: "cannot encode job: " + err.Error(), Err: err}
		}
	}
	return &Prepared{Type: t, ID: d.ID, Subject: JobSubject(t), MsgID: MsgID(t, d.ID), Data: data}, nil
}

// checkPrepareAgrees fails when Prepare and prepareReference differ.
func checkPrepareAgrees(t *testing.T, typ Type, job Job) {
	t.Helper()
	event := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	want, wantErr := prepareReference(typ, job, event)
	got, gotErr := Prepare(typ, job, event)
	if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
		t.Fatalf("%s %+v: error %v, want %v", typ, job, gotErr, wantErr)
	}
	if wantErr == nil && (string(got.Data) != string(want.Data) || got.ID != want.ID || got.MsgID != want.MsgID || got.Subject != want.Subject) {
		t.Fatalf("%s %+v:\n got %s\nwant %s", typ, job, got.Data, want.Data)
	}
}

const (
	refUpdate   = `{"product_coupon_id":"1000000013","out_request_no":"UPD-000001","brand_id":"120344","display_info":{"name":"Sale","image_url":"https://x/i.png","background_url":"https://x/b.png"}}`
	refPCUse    = `{"openid":"o","coupon_code":"123","product_coupon_id":"1002323","stock_id":"100232301","appid":"wx233544546545989","out_request_no":"PC-USE-000001","brand_id":"120344"%s}`
	refStockGet = `{"stock_id":"100088"}`
)

func TestPrepareAgreesWithReference(t *testing.T) {
	cases := []struct {
		typ Type
		job Job
	}{
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(refUpdate)}},
		{TypeProductCouponUpdate, Job{ID: "UPD-000001", MchID: "1900000001", Request: json.RawMessage(refUpdate), Meta: json.RawMessage(`{"campaign":"c","row":1}`), Priority: 5, FairnessKey: "c"}},
		{TypeProductCouponUpdate, Job{ID: "UPD-2", Request: json.RawMessage(refUpdate)}},                           // disagrees
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(" {\n" + refUpdate[1:])}},                           // not compact
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(refUpdate), Meta: json.RawMessage(`{"a":"<b>&"}`)}}, // escaped
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(refUpdate), Meta: json.RawMessage("{\"a\":\"\u2028\"}")}},
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(refUpdate), Meta: json.RawMessage(`{"a":1},"x":{"b":2}`)}}, // not one value
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(`{"a":1`)}},
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(refUpdate), Meta: json.RawMessage(`null`)}},
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(`null`)}},
		{TypeProductCouponUpdate, Job{}},
		{TypeProductCouponUpdate, Job{MchID: "m\"<", Request: json.RawMessage(refUpdate)}},
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(refUpdate), Priority: 9}},
		{TypeProductCouponUpdate, Job{Request: json.RawMessage(refUpdate), Meta: json.RawMessage("{\"a\":\"\xff\"}")}},
		{TypeBusifavorStockGet, Job{ID: "s-1", Request: json.RawMessage(refStockGet)}},
		{TypeBusifavorStockGet, Job{Request: json.RawMessage(refStockGet)}},
		{TypeProductCouponUse, Job{Request: json.RawMessage(fmt.Sprintf(refPCUse, ""))}},
		{TypeProductCouponUse, Job{Request: json.RawMessage(fmt.Sprintf(refPCUse, `,"use_time":"2026-01-02T03:04:05+08:00"`))}},
		{TypeProductCouponUse, Job{Request: json.RawMessage(fmt.Sprintf(refPCUse, `,"use_time":""`))}},
		{TypeProductCouponUse, Job{Request: json.RawMessage(fmt.Sprintf(refPCUse, `,"use_time":null`))}},
		{TypeProductCouponUse, Job{Request: json.RawMessage(fmt.Sprintf(refPCUse, `,"use_time":"x","use_time":""`))}},
		{TypeProductCouponUse, Job{Request: json.RawMessage(fmt.Sprintf(refPCUse, `,"use\u005ftime":"2026-01-02T03:04:05+08:00"`))}},
		{TypeProductCouponUse, Job{Request: json.RawMessage(fmt.Sprintf(refPCUse, `,"use_time":"2026-01-02T03:04:05+08:00"`) + " x")}},
		{TypeProductCouponUse, Job{Request: json.RawMessage(`[]`)}},
	}
	for _, c := range cases {
		checkPrepareAgrees(t, c.typ, c.job)
	}
	p, err := Prepare(TypeProductCouponUpdate, Job{Request: json.RawMessage(refUpdate), Meta: json.RawMessage(`{"row":1}`), Priority: 5}, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, `{"id":"UPD-000001","request":`+refUpdate+`,"meta":{"row":1},"priority":5}`, string(p.Data))
}

// FuzzPrepareAgrees: Prepare gives the bytes and errors it gave before its
// fast paths.
// go test -run='^$' -fuzz=FuzzPrepareAgrees -fuzztime=30s ./jobs/
func FuzzPrepareAgrees(f *testing.F) {
	f.Add(uint8(3), "", "", []byte(refUpdate), []byte(`{"row":1}`), 5, "c")
	f.Add(uint8(2), "PC-USE-000001", "m", []byte(fmt.Sprintf(refPCUse, `,"use_time":"2026-01-02T03:04:05+08:00"`)), []byte(nil), 0, "")
	f.Add(uint8(1), "s-1", "", []byte(refStockGet), []byte(`{"a":"<&>"}`), 1, "")
	f.Fuzz(func(t *testing.T, typ uint8, id, mchid string, req, meta []byte, prio int, fk string) {
		types := []Type{TypeBusifavorUse, TypeBusifavorStockGet, TypeProductCouponUse, TypeProductCouponUpdate}
		checkPrepareAgrees(t, types[int(typ)%4], Job{ID: id, MchID: mchid, Request: req, Meta: meta, Priority: prio, FairnessKey: fk})
	})
}
