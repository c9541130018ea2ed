package jobs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
)

func TestReadJSONL(t *testing.T) {
	in := strings.Join([]string{
		"# a comment",
		"",
		`{"type":"busifavor.stock.get","id":"s1","request":{"stock_id":"100088"}}`,
		"   ",
		"  # indented comment",
		`  {"request":` + pcUpdateRequest + `,"meta":{"k":"v"}}  `,
		"\t",
		`{"type":"busifavor.use","mchid":"1900000001","request":` + busifavorUseRequest + `}`,
	}, "\n")
	got, err := jobs.ReadJSONL(strings.NewReader(in), jobs.TypeProductCouponUpdate)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, jobs.TypeBusifavorStockGet, got[0].Type)
	assert.Equal(t, "s1", got[0].ID)
	assert.Equal(t, jobs.TypeProductCouponUpdate, got[1].Type, "default type")
	assert.JSONEq(t, `{"k":"v"}`, string(got[1].Meta))
	assert.Equal(t, jobs.TypeBusifavorUse, got[2].Type)
	assert.Equal(t, "1900000001", got[2].MchID)
	for _, tj := range got {
		_, err := jobs.Prepare(tj.Type, tj.Job, time.Now())
		assert.NoError(t, err, "every line is a job Prepare accepts")
	}
}

func TestReadJSONLEmpty(t *testing.T) {
	got, err := jobs.ReadJSONL(strings.NewReader("# nothing\n\n"), "")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestReadJSONLErrorsNameTheLine(t *testing.T) {
	good := `{"type":"busifavor.stock.get","id":"s1","request":{"stock_id":"1"}}`
	cases := []struct {
		name, bad, field string
		def              jobs.Type
		frags            []string
	}{
		{"missing type", `{"id":"s2","request":{"stock_id":"1"}}`, "type", "", []string{"type: is required"}},
		{"unknown type", `{"type":"coupon.teleport","request":{}}`, "type", jobs.TypeBusifavorUse, []string{`unknown job type "coupon.teleport"`}},
		{"malformed", `{"type":"busifavor.use",`, "", "", []string{"not a job object"}},
		{"unknown field", `{"type":"busifavor.use","colour":"red","request":{}}`, "", "", []string{`"colour"`}},
		{"two objects on one line", good + ` ` + good, "", "", []string{"trailing data"}},
		{"trailing garbage", good + `x`, "", "", []string{"trailing data"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := "# header\n" + good + "\n\n" + c.bad + "\n" + good + "\n"
			got, err := jobs.ReadJSONL(strings.NewReader(in), c.def)
			assert.Nil(t, got)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "line 4: "), err.Error())
			requireInvalid(t, err, c.field, c.frags...)
		})
	}
}

func TestParseTypedJob(t *testing.T) {
	tj, err := jobs.ParseTypedJob([]byte(`{"request":{"stock_id":"1"},"id":"x"}`), jobs.TypeBusifavorStockGet)
	require.NoError(t, err)
	assert.Equal(t, jobs.TypeBusifavorStockGet, tj.Type)
	assert.Equal(t, "x", tj.ID)

	// An explicit type wins over the default.
	tj, err = jobs.ParseTypedJob([]byte(`{"type":"busifavor.use","request":{}}`), jobs.TypeBusifavorStockGet)
	require.NoError(t, err)
	assert.Equal(t, jobs.TypeBusifavorUse, tj.Type)

	_, err = jobs.ParseTypedJob([]byte(`{"request":{}}`), "")
	ie := requireInvalid(t, err, "type", "is required (or pass a default type)")
	assert.NotNil(t, errors.Unwrap(ie))

	_, err = jobs.ParseTypedJob([]byte(`{"request":{}}`), jobs.Type("nope"))
	requireInvalid(t, err, "type", `unknown job type "nope"`)
}

func TestReadJSONLLongLine(t *testing.T) {
	// Lines far longer than bufio's 64 KiB default are read whole.
	meta := `{"blob":"` + strings.Repeat("x", 200_000) + `"}`
	line := `{"type":"busifavor.stock.get","id":"s1","request":{"stock_id":"1"},"meta":` + meta + `}`
	got, err := jobs.ReadJSONL(strings.NewReader(line+"\n"), "")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Len(t, got[0].Meta, len(meta))
}

func TestShippedSampleJobs(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "examples", "sample-jobs.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	got, err := jobs.ReadJSONL(f, "")
	require.NoError(t, err)
	require.NotEmpty(t, got)
	for i, tj := range got {
		_, err := jobs.Prepare(tj.Type, tj.Job, time.Now())
		// Some samples are invalid on purpose, and say so in meta.note.
		if strings.Contains(string(tj.Meta), "invalid") {
			var ie *jobs.InvalidJobError
			assert.ErrorAs(t, err, &ie, "sample job %d", i)
			continue
		}
		assert.NoError(t, err, "sample job %d", i)
	}
}
