package jobfile_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/jobfile"
	"github.com/couponq/couponq/jobs"
)

// readAll returns the records of r and the file-level error, if any.
func readAll(t *testing.T, r jobfile.Reader) ([]jobfile.Record, error) {
	t.Helper()
	var out []jobfile.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

// lineErrors maps line numbers of bad records to their reasons.
func lineErrors(recs []jobfile.Record) map[int]string {
	m := map[int]string{}
	for _, r := range recs {
		if r.Err != nil {
			m[r.Line] = r.Err.Error()
		}
	}
	return m
}

const goodStock = `{"type":"busifavor.stock.get","id":"s1","request":{"stock_id":"100088"}}`

func TestJSONLReportsEveryBadLineAndGoesOn(t *testing.T) {
	in := strings.Join([]string{
		"# a comment",
		goodStock,
		`{"type":"busifavor.stock.get","id":"s2","request":{"stock_id":"1"}`, // malformed: no closing brace
		"",
		`{"type":"coupon.teleport","id":"x","request":{}}`,
		"{\"type\":\"busifavor.stock.get\",\"id\":\"s3\",\"request\":{\"stock_id\":\"\xff\xfe\"}}", // not UTF-8
		`{"id":"s4","request":{"stock_id":"100088"}}`,                                              // no type, no default
		`{"type":"busifavor.stock.get","id":"s5","request":{"stock_id":"100088"},"extra":1}`,
		`{"type":"busifavor.stock.get","id":"s6","request":{"stock_id":"100088"}}`,
	}, "\n")
	recs, err := readAll(t, jobfile.NewJSONL(strings.NewReader(in), ""))
	require.NoError(t, err)
	bad := lineErrors(recs)
	assert.Len(t, recs, 7)
	assert.Contains(t, bad[3], "line 3: not a job object: ")
	assert.Contains(t, bad[5], `line 5: type: unknown job type "coupon.teleport"`)
	assert.Contains(t, bad[6], "line 6: not valid UTF-8")
	assert.Contains(t, bad[7], "line 7: type: is required")
	assert.Contains(t, bad[8], `unknown field "extra"`)
	assert.Equal(t, 2, recs[0].Line)
	assert.Equal(t, "s1", recs[0].Job.ID)
	assert.Equal(t, 9, recs[6].Line)
	assert.NoError(t, recs[6].Err)
}

func TestJSONLEncodingsAndEdges(t *testing.T) {
	// A UTF-8 byte order mark (spreadsheet exports) is skipped.
	recs, err := readAll(t, jobfile.NewJSONL(strings.NewReader("\xEF\xBB\xBF"+goodStock+"\n"), ""))
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.NoError(t, recs[0].Err)

	// UTF-16 is refused as a whole.
	_, err = readAll(t, jobfile.NewJSONL(strings.NewReader("\xFF\xFE{\x00"), ""))
	assert.ErrorIs(t, err, jobfile.ErrUTF16)

	// An empty file has no records.
	recs, err = readAll(t, jobfile.NewJSONL(strings.NewReader(""), ""))
	require.NoError(t, err)
	assert.Empty(t, recs)

	// A line over the limit is one bad line; the next line is read.
	long := `{"type":"busifavor.stock.get","id":"` + strings.Repeat("x", jobfile.MaxLineBytes) + `"}`
	recs, err = readAll(t, jobfile.NewJSONL(strings.NewReader(long+"\n"+goodStock), ""))
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Contains(t, recs[0].Err.Error(), "line 1: longer than")
	assert.Equal(t, 2, recs[1].Line)
	assert.NoError(t, recs[1].Err)

	// The default type fills lines without one; no newline at the end is fine.
	recs, err = readAll(t, jobfile.NewJSONL(strings.NewReader(`{"id":"s9","request":{"stock_id":"1"}}`), jobs.TypeBusifavorStockGet))
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, jobs.TypeBusifavorStockGet, recs[0].Job.Type)
}

func TestCSVMapsColumnsToNestedTypedFields(t *testing.T) {
	in := "type,product_coupon_id,out_request_no,brand_id,display_info.name,display_info.image_url,display_info.background_url,display_info.original_price,display_info.detail_image_url_list,display_info.combo_package_list,meta.order.batch,priority,fairness_key\n" +
		`product_coupon.update,1000000013,UPD-000001,120344,全场8折,https://x/i.png,https://x/b.png,1200,https://x/1.png|https://x/2.png,"[{""name"":""a"",""pick_count"":1,""choice_list"":[{""name"":""c"",""price"":100,""count"":1}]}]",B7,2,brand-7` + "\n" +
		"product_coupon.update,1000000013,UPD-000002,120344,Name two,https://x/i.png,https://x/b.png,,,,,,\n"
	r, err := jobfile.NewCSV(strings.NewReader(in), "")
	require.NoError(t, err)
	recs, err := readAll(t, r)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.NoError(t, recs[0].Err)
	j := recs[0].Job
	assert.Equal(t, 2, recs[0].Line)
	assert.Equal(t, jobs.TypeProductCouponUpdate, j.Type)
	assert.Equal(t, 2, j.Priority)
	assert.Equal(t, "brand-7", j.FairnessKey)
	assert.JSONEq(t, `{"product_coupon_id":"1000000013","out_request_no":"UPD-000001","brand_id":"120344",
		"display_info":{"name":"全场8折","image_url":"https://x/i.png","background_url":"https://x/b.png","original_price":1200,
		"detail_image_url_list":["https://x/1.png","https://x/2.png"],
		"combo_package_list":[{"name":"a","pick_count":1,"choice_list":[{"name":"c","price":100,"count":1}]}]}}`, string(j.Request))
	assert.JSONEq(t, `{"order":{"batch":"B7"}}`, string(j.Meta))
	// Empty cells are left out.
	assert.JSONEq(t, `{"product_coupon_id":"1000000013","out_request_no":"UPD-000002","brand_id":"120344",
		"display_info":{"name":"Name two","image_url":"https://x/i.png","background_url":"https://x/b.png"}}`, string(recs[1].Job.Request))
	assert.Empty(t, recs[1].Job.Meta)
	// The job is valid for the worker.
	_, err = jobs.Prepare(j.Type, j.Job, time.Time{})
	assert.NoError(t, err)
}

func TestCSVBadRowsAndBadFiles(t *testing.T) {
	in := "stock_id,id\n" +
		"100088,ok-1\n" +
		"100088\n" + // wrong column count
		"100088,ok-2,extra\n" + // wrong column count
		"\"100\"088,bad-quote\n" + // malformed CSV
		"\xff\xfe,bad-utf8\n" +
		"100088,ok-3\n"
	r, err := jobfile.NewCSV(strings.NewReader(in), jobs.TypeBusifavorStockGet)
	require.NoError(t, err)
	recs, err := readAll(t, r)
	require.NoError(t, err)
	bad := lineErrors(recs)
	assert.Equal(t, map[int]string{
		3: "line 3: has 1 fields, the header has 2",
		4: "line 4: has 3 fields, the header has 2",
		5: `line 5: malformed CSV (line 5, column 5): extraneous or missing " in quoted-field`,
		6: `line 6: column "stock_id": not valid UTF-8 (is the file in GBK or another encoding? save it as UTF-8)`,
	}, bad)
	var good []string
	for _, rec := range recs {
		if rec.Err == nil {
			good = append(good, rec.Job.ID)
		}
	}
	assert.Equal(t, []string{"ok-1", "ok-3"}, good)

	// A column next to its parent is a header problem.
	_, err = jobfile.NewCSV(strings.NewReader("type,product_coupon_id,display_info.original_price,display_info\nproduct_coupon.update,1,12.5,\nproduct_coupon.update,1,,x\n"), "")
	require.Error(t, err, "a column and its parent")
	assert.Contains(t, err.Error(), `column "display_info.original_price" and a column for its parent "display_info"`)
	// Cell values of the wrong kind, or for fields the row's type lacks, name the column.
	r, err = jobfile.NewCSV(strings.NewReader("type,product_coupon_id,display_info.original_price\nproduct_coupon.update,1,12.5\nbusifavor.use,1,5\n"), "")
	require.NoError(t, err)
	recs, err = readAll(t, r)
	require.NoError(t, err)
	assert.Equal(t, map[int]string{
		2: `line 2: column "display_info.original_price": "12.5" is not an integer`,
		3: `line 3: column "product_coupon_id": busifavor.use requests have no field "product_coupon_id"; column "display_info.original_price": busifavor.use requests have no field "display_info"`,
	}, lineErrors(recs))

	// Header problems end the file before any row.
	for name, c := range map[string]struct {
		in   string
		typ  jobs.Type
		want string
	}{
		"no type":        {"stock_id\n1\n", "", `no "type" column`},
		"unknown column": {"stock_idd,id\n1,2\n", jobs.TypeBusifavorStockGet, `column "stock_idd": busifavor.stock.get requests have no field "stock_idd"`},
		"duplicate":      {"type,id,id\n", "", `columns 2 and 3 are both "id"`},
		"empty name":     {"type,,id\n", "", "column 2 has no name"},
		"utf-16":         {"\xFE\xFF\x00t", "", "UTF-16"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := jobfile.NewCSV(strings.NewReader(c.in), c.typ)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}

	// An empty file, or one with only a header, has no jobs.
	for _, in := range []string{"", "type,id\n"} {
		r, err := jobfile.NewCSV(strings.NewReader(in), "")
		require.NoError(t, err)
		recs, err := readAll(t, r)
		require.NoError(t, err)
		assert.Empty(t, recs)
	}
}

func TestFormatFor(t *testing.T) {
	f, err := jobfile.FormatFor("x/jobs.CSV", "")
	require.NoError(t, err)
	assert.Equal(t, jobfile.CSV, f)
	f, err = jobfile.FormatFor("jobs.csv", "jsonl")
	require.NoError(t, err)
	assert.Equal(t, jobfile.JSONL, f)
	f, err = jobfile.FormatFor("-", "")
	require.NoError(t, err)
	assert.Equal(t, jobfile.JSONL, f)
	_, err = jobfile.FormatFor("a", "xlsx")
	assert.Error(t, err)
}

// WouldWait says when the next line is not buffered yet.
func TestReadersSayWhenTheyWouldWait(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, goodStock+"\n"+goodStock+"\n")
		_, _ = io.WriteString(pw, `{"type":`)
	}()
	r := jobfile.NewJSONL(pr, "")
	la, ok := r.(jobfile.Lookahead)
	require.True(t, ok)
	_, err := r.Next()
	require.NoError(t, err)
	assert.False(t, la.WouldWait(), "the second line came with the first")
	_, err = r.Next()
	require.NoError(t, err)
	assert.True(t, la.WouldWait(), "only part of the third line is here")
	_ = pw.Close()

	c, err := jobfile.NewCSV(strings.NewReader("type,stock_id\nbusifavor.stock.get,1\nbusifavor.stock.get,2"), "")
	require.NoError(t, err)
	_, err = c.Next()
	require.NoError(t, err)
	assert.True(t, c.(jobfile.Lookahead).WouldWait(), "the last row has no newline")
	empty, err := jobfile.NewCSV(strings.NewReader(""), "")
	require.NoError(t, err)
	assert.False(t, empty.(jobfile.Lookahead).WouldWait())
}
