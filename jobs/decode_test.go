package jobs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
)

// requireInvalid asserts that err is an *InvalidJobError for field whose
// message contains every fragment, and returns it.
func requireInvalid(t *testing.T, err error, field string, fragments ...string) *jobs.InvalidJobError {
	t.Helper()
	require.Error(t, err)
	var ie *jobs.InvalidJobError
	require.True(t, errors.As(err, &ie), "want *InvalidJobError, got %T: %v", err, err)
	assert.Equal(t, field, ie.Field, "field of %q", err)
	for _, f := range fragments {
		assert.Contains(t, err.Error(), f)
	}
	return ie
}

func TestDecodeValidJobs(t *testing.T) {
	cases := []struct {
		typ     jobs.Type
		body    string
		wantID  string
		wantReq any
	}{
		{jobs.TypeBusifavorUse, `{"request":` + withField(t, busifavorUseRequest, "use_time", `"`+useTime+`"`) + `}`, "BF-USE-0001", &wechat.BusifavorUseRequest{}},
		{jobs.TypeBusifavorUse, `{"id":"BF-USE-0001","mchid":"1900000001","request":` + withField(t, busifavorUseRequest, "use_time", `"`+useTime+`"`) + `,"meta":{"order_id":"A-1"}}`, "BF-USE-0001", &wechat.BusifavorUseRequest{}},
		{jobs.TypeBusifavorStockGet, `{"id":"stock:100088_v1.2-x","request":` + stockGetRequest + `}`, "stock:100088_v1.2-x", &wechat.BusifavorStockGetRequest{}},
		{jobs.TypeProductCouponUse, `{"request":` + withField(t, pcUseRequest, "use_time", `"`+useTime+`"`) + `}`, "PC-USE-0001", &wechat.ProductCouponUseRequest{}},
		{jobs.TypeProductCouponUpdate, `{"request":` + pcUpdateRequest + `}`, "PC-UPD-0001", &wechat.ProductCouponUpdateRequest{}},
		{jobs.TypeProductCouponUpdate, `{"id":"PC-UPD-0001","request":` + pcUpdateRequest + `}`, "PC-UPD-0001", &wechat.ProductCouponUpdateRequest{}},
	}
	for _, c := range cases {
		t.Run(string(c.typ)+"/"+c.wantID, func(t *testing.T) {
			d, err := jobs.Decode(c.typ, []byte(c.body))
			require.NoError(t, err)
			assert.Equal(t, c.wantID, d.ID)
			assert.Equal(t, c.typ, d.Type)
			assert.IsType(t, c.wantReq, d.Req)
			assert.Equal(t, c.typ, d.Req.Operation())
		})
	}
}

func TestDecodeMetaAndMchIDKept(t *testing.T) {
	body := `{"mchid":"1900000001","request":` + pcUpdateRequest + `,"meta":{"order_id":"A-1001","n":[1,2]}}`
	d, err := jobs.Decode(jobs.TypeProductCouponUpdate, []byte(body))
	require.NoError(t, err)
	assert.Equal(t, "1900000001", d.MchID)
	assert.JSONEq(t, `{"order_id":"A-1001","n":[1,2]}`, string(d.Meta))
}

func TestDecodeBadEnvelope(t *testing.T) {
	withTime := withField(t, busifavorUseRequest, "use_time", `"`+useTime+`"`)
	cases := []struct {
		name, body, field string
		fragments         []string
	}{
		{"malformed JSON", `{"request": {]}`, "", []string{"not a valid job object", "malformed JSON"}},
		{"truncated JSON", `{"request": {`, "", []string{"not a valid job object"}},
		{"not JSON at all", `not json`, "", []string{"not a valid job object"}},
		{"empty body", ``, "", []string{"not a valid job object"}},
		{"array instead of object", `[1,2]`, "", []string{"not a valid job object"}},
		{"id of the wrong type", `{"id":5,"request":` + withTime + `}`, "", []string{`"id"`, "string"}},
		{"trailing object", `{"request":` + withTime + `} {}`, "", []string{"trailing data"}},
		{"trailing garbage", `{"request":` + withTime + `}x`, "", []string{"trailing data"}},
		{"unknown top-level field", `{"request":` + withTime + `,"urgency":1}`, "", []string{`"urgency"`}},
		{"missing request", `{"id":"BF-USE-0001"}`, "request", []string{"request: is required"}},
		{"null request", `{"request":null}`, "request", []string{"is required"}},
		{"request is a string", `{"request":"coupon"}`, "request", []string{"expected object, got string"}},
		{"request is an array", `{"request":[]}`, "request", []string{"expected object, got array"}},
		{"request is a number", `{"request":7}`, "request", []string{"expected object"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := jobs.Decode(jobs.TypeBusifavorUse, []byte(c.body))
			assert.Nil(t, d)
			requireInvalid(t, err, c.field, c.fragments...)
			assert.True(t, strings.HasPrefix(err.Error(), "invalid job: "), err.Error())
		})
	}
}

func TestDecodeRequestShapeNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		typ   jobs.Type
		req   string
		field string
		frag  string
	}{
		{"unknown field", jobs.TypeBusifavorUse, withField(t, busifavorUseRequest, "coupon_cod", `"x"`), "request.coupon_cod", "unknown field"},
		{"field name case differs", jobs.TypeBusifavorStockGet, `{"Stock_ID":"100088"}`, "request.Stock_ID", "unknown field"},
		{"nested unknown field", jobs.TypeProductCouponUpdate, withField(t, pcUpdateRequest, "display_info", `{"name":"abcd","colour":1}`), "request.display_info.colour", "unknown field"},
		{"wrong JSON type", jobs.TypeBusifavorUse, withField(t, busifavorUseRequest, "appid", `123`), "request.appid", "expected string, got number"},
		{"repeated field", jobs.TypeBusifavorStockGet, `{"stock_id":"1","stock_id":"2"}`, "request.stock_id", "repeated field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := jobs.Decode(c.typ, []byte(`{"id":"probe","request":`+c.req+`}`))
			ie := requireInvalid(t, err, c.field, c.field+": "+c.frag)
			var de *wechat.DecodeError
			assert.True(t, errors.As(ie, &de), "the wechat decode error is kept: %v", err)
		})
	}
}

func TestDecodeFieldRuleViolation(t *testing.T) {
	// One violation: a single *InvalidJobError, not a join.
	body := `{"request":` + withField(t, busifavorUseRequest, "use_time", `"yesterday"`) + `}`
	_, err := jobs.Decode(jobs.TypeBusifavorUse, []byte(body))
	ie := requireInvalid(t, err, "request.use_time", "request.use_time")
	var ve *wechat.ValidationError
	require.True(t, errors.As(ie, &ve))
	assert.Equal(t, "use_time", ve.Field)
	_, joined := err.(interface{ Unwrap() []error })
	assert.False(t, joined, "a single violation is not wrapped in a join")
}

func TestDecodeSeveralViolationsComeBackJoined(t *testing.T) {
	// No appid, no use_time, and a coupon_code too long: three violations.
	req := `{"coupon_code":"` + strings.Repeat("C", 33) + `","use_request_no":"BF-USE-0001"}`
	_, err := jobs.Decode(jobs.TypeBusifavorUse, []byte(`{"request":`+req+`}`))
	require.Error(t, err)
	j, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "several violations are joined: %T", err)
	var fields []string
	for _, e := range j.Unwrap() {
		var ie *jobs.InvalidJobError
		require.True(t, errors.As(e, &ie), "%T", e)
		assert.True(t, strings.HasPrefix(ie.Field, "request."), ie.Field)
		var ve *wechat.ValidationError
		require.True(t, errors.As(ie, &ve))
		assert.Equal(t, "request."+ve.Field, ie.Field)
		fields = append(fields, ie.Field)
	}
	assert.ElementsMatch(t, []string{"request.coupon_code", "request.appid", "request.use_time"}, fields)
	// errors.As on the join finds the first one, so callers that only look
	// for "an invalid job" still work.
	var ie *jobs.InvalidJobError
	assert.True(t, errors.As(err, &ie))
}

func TestDecodeIDFromRequestNumber(t *testing.T) {
	cases := []struct {
		typ  jobs.Type
		req  string
		want string
	}{
		{jobs.TypeBusifavorUse, withField(t, busifavorUseRequest, "use_time", `"`+useTime+`"`), "BF-USE-0001"},
		{jobs.TypeProductCouponUse, withField(t, pcUseRequest, "use_time", `"`+useTime+`"`), "PC-USE-0001"},
		{jobs.TypeProductCouponUpdate, pcUpdateRequest, "PC-UPD-0001"},
	}
	for _, c := range cases {
		t.Run(string(c.typ), func(t *testing.T) {
			omitted, err := jobs.Decode(c.typ, []byte(`{"request":`+c.req+`}`))
			require.NoError(t, err)
			assert.Equal(t, c.want, omitted.ID, "id derived from the request number")

			equal, err := jobs.Decode(c.typ, []byte(`{"id":"`+c.want+`","request":`+c.req+`}`))
			require.NoError(t, err)
			assert.Equal(t, c.want, equal.ID)

			_, err = jobs.Decode(c.typ, []byte(`{"id":"SOMETHING-ELSE","request":`+c.req+`}`))
			requireInvalid(t, err, "id", "disagrees with the request number", `"SOMETHING-ELSE"`, `"`+c.want+`"`)
		})
	}
}

func TestDecodeStockGetID(t *testing.T) {
	body := func(id string) []byte { return []byte(`{"id":` + id + `,"request":` + stockGetRequest + `}`) }

	_, err := jobs.Decode(jobs.TypeBusifavorStockGet, []byte(`{"request":`+stockGetRequest+`}`))
	requireInvalid(t, err, "id", "is required for busifavor.stock.get jobs")
	_, err = jobs.Decode(jobs.TypeBusifavorStockGet, body(`""`))
	requireInvalid(t, err, "id", "is required")

	good := []string{"a", "Z", "0", "stock-100088", "a_b.c:d-e", strings.Repeat("x", 64)}
	for _, id := range good {
		d, err := jobs.Decode(jobs.TypeBusifavorStockGet, body(`"`+id+`"`))
		if assert.NoError(t, err, id) {
			assert.Equal(t, id, d.ID)
		}
	}
	bad := []string{strings.Repeat("x", 65), "has space", "slash/inside", "中文", "star*", "tab\\t", "new\\nline", "percent%", "plus+"}
	for _, id := range bad {
		_, err := jobs.Decode(jobs.TypeBusifavorStockGet, body(`"`+id+`"`))
		requireInvalid(t, err, "id", "1-64 characters of [0-9A-Za-z_.:-]")
	}
}

func TestDecodeUnknownType(t *testing.T) {
	_, err := jobs.Decode(jobs.Type("coupon.teleport"), []byte(`{"id":"x","request":{}}`))
	requireInvalid(t, err, "request", "coupon.teleport")
}
