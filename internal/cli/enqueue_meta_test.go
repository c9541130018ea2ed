package cli

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// withCampaignSlow is withCampaign without its fast path.
func withCampaignSlow(meta json.RawMessage, id string) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(meta) > 0 && string(meta) != "null" {
		if err := json.Unmarshal(meta, &m); err != nil || m == nil {
			return nil, errors.New("meta: must be a JSON object (it carries the campaign id)")
		}
	}
	idJSON, err := json.Marshal(id)
	if err != nil {
		return nil, err
	}
	m["campaign"] = idJSON
	return json.Marshal(m)
}

// checkMetaAgrees: what the fast path gives, once jobs.Prepare has encoded
// it (json.Marshal compacts a RawMessage), is what the map gives.
func checkMetaAgrees(t *testing.T, meta []byte, id string) bool {
	t.Helper()
	fast, ok := withCampaignFast(meta, id)
	if !ok {
		return false
	}
	slow, err := withCampaignSlow(meta, id)
	if err != nil {
		t.Fatalf("fast path accepted meta %q, the map refuses it: %v", meta, err)
	}
	published, err := json.Marshal(json.RawMessage(fast))
	if err != nil {
		t.Fatalf("fast path made invalid JSON %q from %q", fast, meta)
	}
	if string(published) != string(slow) {
		t.Fatalf("meta %q: fast %s, map %s", meta, published, slow)
	}
	return true
}

func TestWithCampaignFastAgrees(t *testing.T) {
	for _, meta := range []string{"", "null", `{}`, `{"row":1}`, `{"a":1,"b":[1, 2],"z":{"y":"<&>"}}`,
		` { "a" : "x y" , "d" : null } `, `{"campaign2":1,"campaigm":2}`, `{"camp":1,"campaign_x":2}`, `{"b":1,"c":2}`, `{"\u0061":1}`} {
		sorted := meta != `{"campaign2":1,"campaigm":2}`
		assert.Equal(t, sorted, checkMetaAgrees(t, []byte(meta), "bench"), "%q", meta)
	}
	for _, meta := range []string{`[]`, `1`, `"x"`, `{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"campaign":"old"}`, `{"a":1} x`,
		`{"a":1`, `{"é":1}`, "{\"a\":\"\xff\"}", `{"a":"\ud800"}`} {
		assert.False(t, checkMetaAgrees(t, []byte(meta), "bench"), "%q", meta)
	}
	assert.False(t, checkMetaAgrees(t, []byte(`{"row":1}`), "a<b"))
	assert.False(t, checkMetaAgrees(t, nil, "全场"))
}

// go test -run='^$' -fuzz=FuzzWithCampaignFastAgrees -fuzztime=30s ./internal/cli/
func FuzzWithCampaignFastAgrees(f *testing.F) {
	f.Add([]byte(`{"row":1}`), "bench")
	f.Add([]byte(`{"a":1,"d":{"x":"<"},"z":[]}`), "c-1")
	f.Add([]byte(`null`), "x")
	f.Fuzz(func(t *testing.T, meta []byte, id string) {
		checkMetaAgrees(t, meta, id)
	})
}
