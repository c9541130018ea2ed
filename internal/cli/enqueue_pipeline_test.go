package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/jobfile"
	"github.com/couponq/couponq/jobs"
)

// mixedCampaign is n lines, some of them bad in different ways.
func mixedCampaign(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		switch {
		case i%97 == 0:
			b.WriteString("{not json\n")
		case i%89 == 0:
			fmt.Fprintf(&b, `{"type":"busifavor.stock.get","id":"s-%d","request":{"stock_id":"1","x":1}}`+"\n", i)
		case i%83 == 0:
			fmt.Fprintf(&b, `{"type":"busifavor.stock.get","id":"s-%d","request":{"stock_id":"1"},"meta":[1]}`+"\n", i)
		case i%79 == 0:
			b.WriteString("# comment\n\n")
		default:
			fmt.Fprintf(&b, `{"type":"busifavor.stock.get","id":"s-%d","request":{"stock_id":"1"}}`+"\n", i)
		}
	}
	return b.String()
}

// TestPipelineKeepsLineOrder: on every core, the jobs and the bad-line
// reports come out in the file's order, and the counts are those of a pass
// that prepares one line after the other.
func TestPipelineKeepsLineOrder(t *testing.T) {
	in := mixedCampaign(3000)
	o := &enqueueOptions{eventTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

	var wantErr bytes.Buffer
	want := newCampaignPass(o, "c", "", &wantErr)
	var wantIDs []string
	r := jobfile.NewJSONL(strings.NewReader(in), "")
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		var prep *jobs.Prepared
		var perr error
		if rec.Err == nil {
			prep, perr = want.prepare(rec.Job)
		}
		if prep, ok := want.outcome(rec, prep, perr); ok {
			wantIDs = append(wantIDs, prep.MsgID)
		}
	}

	var gotErr bytes.Buffer
	got := newCampaignPass(o, "c", "", &gotErr)
	pl := got.pipeline(jobfile.NewJSONL(strings.NewReader(in), ""))
	defer pl.close()
	var gotIDs []string
	for {
		prep, err := pl.next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		gotIDs = append(gotIDs, prep.MsgID)
	}
	_, err := pl.next()
	assert.ErrorIs(t, err, io.EOF, "the end stays the end")

	assert.Equal(t, wantIDs, gotIDs)
	assert.Equal(t, wantErr.String(), gotErr.String())
	assert.Equal(t, want.lines, got.lines)
	assert.Equal(t, want.good, got.good)
	assert.Equal(t, want.bad, got.bad)
	assert.Equal(t, want.flows, got.flows)
	assert.Greater(t, got.bad, int64(90))
	assert.Contains(t, gotErr.String(), "line 84: meta: must be a JSON object") // line 80 is a comment, 81 blank
}

// TestPipelineHandsOnSlowStreams: a job from a stream that pauses comes
// out without waiting for more lines.
func TestPipelineHandsOnSlowStreams(t *testing.T) {
	pr, pw := io.Pipe()
	defer func() { _ = pr.Close() }()
	p := newCampaignPass(&enqueueOptions{}, "c", "", io.Discard)
	pl := p.pipeline(jobfile.NewJSONL(pr, ""))
	defer pl.close()
	for i := 0; i < 3; i++ {
		go func() {
			_, _ = fmt.Fprintf(pw, `{"type":"busifavor.stock.get","id":"s-%d","request":{"stock_id":"1"}}`+"\n", i)
		}()
		prep, err := pl.next()
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("s-%d", i), prep.ID)
	}
	require.NoError(t, pw.Close())
	_, err := pl.next()
	assert.ErrorIs(t, err, io.EOF)
}

// TestPipelineStopsOnFileError: a file-level error comes after the jobs
// before it.
func TestPipelineStopsOnFileError(t *testing.T) {
	in := mixedCampaign(10)
	p := newCampaignPass(&enqueueOptions{}, "c", "", io.Discard)
	pl := p.pipeline(jobfile.NewJSONL(io.MultiReader(strings.NewReader(in), failingReader{}), ""))
	defer pl.close()
	n := 0
	for {
		_, err := pl.next()
		if err != nil {
			assert.ErrorContains(t, err, "disk on fire")
			break
		}
		n++
	}
	assert.Equal(t, 10, n)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
