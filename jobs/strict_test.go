package jobs_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
)

// Nothing encoding/json would silently change is accepted: invalid UTF-8
// and lone surrogates anywhere, repeated or case-folded envelope keys,
// numbers that are not integers for integer fields, ids that are not
// strings.
func TestDecodeRefusesSilentCoercions(t *testing.T) {
	req := withField(t, busifavorUseRequest, "use_time", `"`+useTime+`"`)
	code := func(v string) string { return strings.Replace(req, `"CODE-0001"`, v, 1) }
	cases := []struct{ name, body, field, fragment string }{
		{"invalid UTF-8 in a request string", `{"request":` + code("\"CODE-\xff\"") + `}`, "", "invalid UTF-8"},
		{"overlong UTF-8", `{"request":` + code("\"CODE-\xc0\xaf\"") + `}`, "", "invalid UTF-8"},
		{"UTF-8 encoded surrogate", `{"request":` + code("\"CODE-\xed\xa0\x80\"") + `}`, "", "invalid UTF-8"},
		{"escaped lone high surrogate", `{"request":` + code(`"CODE-\ud800"`) + `}`, "", "surrogate"},
		{"escaped lone low surrogate", `{"request":` + code(`"CODE-\udc00"`) + `}`, "", "surrogate"},
		{"high surrogate then a non-surrogate", `{"request":` + code(`"CODE-\ud800\u0041"`) + `}`, "", "surrogate"},
		{"invalid UTF-8 in meta", "{\"request\":" + req + ",\"meta\":\"\xff\"}", "", "invalid UTF-8"},
		{"invalid UTF-8 in a key", "{\"request\":" + req + ",\"\xff\":1}", "", "invalid UTF-8"},
		{"repeated id", `{"id":"A","id":"BF-USE-0001","request":` + req + `}`, "id", "repeated"},
		{"repeated request", `{"request":` + req + `,"request":` + req + `}`, "request", "repeated"},
		{"case-folded key", `{"Request":` + req + `}`, "", `unknown field "Request"`},
		{"case-folded id", `{"ID":"BF-USE-0001","request":` + req + `}`, "", `unknown field "ID"`},
		{"priority 1e0", `{"priority":1e0,"request":` + req + `}`, "", "priority"},
		{"priority 2.0", `{"priority":2.0,"request":` + req + `}`, "", "priority"},
		{"priority as a string", `{"priority":"2","request":` + req + `}`, "", "priority"},
		{"huge priority", `{"priority":99999999999999999999,"request":` + req + `}`, "", "priority"},
		{"numeric id", `{"id":12,"request":` + req + `}`, "", "id"},
		{"boolean id", `{"id":true,"request":` + req + `}`, "", "id"},
		{"object id", `{"id":{},"request":` + req + `}`, "", "id"},
		{"numeric mchid", `{"mchid":1900000001,"request":` + req + `}`, "", "mchid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := jobs.Decode(jobs.TypeBusifavorUse, []byte(c.body))
			requireInvalid(t, err, c.field, c.fragment)
		})
	}
}

// Valid Unicode survives exactly: escaped surrogate pairs and raw UTF-8 in
// meta are kept, since they represent what the producer wrote.
func TestDecodeKeepsValidUnicode(t *testing.T) {
	req := withField(t, busifavorUseRequest, "use_time", `"`+useTime+`"`)
	d, err := jobs.Decode(jobs.TypeBusifavorUse, []byte(`{"request":`+req+`,"meta":{"note":"\ud83d\ude00 券 ok"}}`))
	require.NoError(t, err)
	require.Equal(t, `{"note":"\ud83d\ude00 券 ok"}`, string(d.Meta))
}
