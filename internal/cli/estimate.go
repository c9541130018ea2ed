package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/jobfile"
	"github.com/couponq/couponq/jobs"
)

// flowKey is a (job type, merchant) pair: jobs of different pairs are paced
// by separate budgets and run in parallel across the fleet.
type flowKey struct {
	typ   jobs.Type
	mchid string
}

// estimateSample is how many records the quick pre-pass parses to learn
// the mix of types and merchants.
const estimateSample = 1000

// countLines counts the lines of the file at path (a last line without a
// newline counts), reading it in chunks.
func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	buf := make([]byte, 256*1024)
	var n int64
	last := byte('\n')
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	return n, nil
}

// sampleFlows parses the first estimateSample records of r and scales their
// mix of flows to totalLines.
func sampleFlows(r jobfile.Reader, totalLines int64, defaultMchID string) map[flowKey]int64 {
	counts := map[flowKey]int64{}
	seen, lastLine := 0, 0
	for seen < estimateSample {
		rec, err := r.Next()
		if err != nil {
			break
		}
		lastLine = rec.Line
		if rec.Err != nil {
			continue
		}
		seen++
		counts[flowOf(rec.Job, defaultMchID)]++
	}
	if lastLine == 0 || int64(lastLine) >= totalLines {
		return counts
	}
	scale := float64(totalLines) / float64(lastLine)
	for k, v := range counts {
		counts[k] = int64(float64(v)*scale + 0.5)
	}
	return counts
}

func flowOf(j jobs.TypedJob, defaultMchID string) flowKey {
	m := j.MchID
	if m == "" {
		m = defaultMchID
	}
	return flowKey{typ: j.Type, mchid: m}
}

// defaultMchID is the merchant a job without mchid goes to: the only
// configured one, else "".
func defaultMchID(cfg *config.Config) string {
	if len(cfg.Merchants) == 1 {
		return cfg.Merchants[0].MchID
	}
	return ""
}

// printEstimate writes how long the fleet needs for counts at the
// configured limits: each flow takes count/limit, and flows run in parallel.
func printEstimate(w io.Writer, counts map[flowKey]int64, approx bool, cfg *config.Config) {
	if len(counts) == 0 {
		return
	}
	keys := make([]flowKey, 0, len(counts))
	var total int64
	for k, v := range counts {
		keys = append(keys, k)
		total += v
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].typ != keys[j].typ {
			return keys[i].typ < keys[j].typ
		}
		return keys[i].mchid < keys[j].mchid
	})
	tilde := ""
	if approx {
		tilde = "~"
	}
	fmt.Fprintf(w, "estimate: %s%s jobs; at the configured limits the worker fleet needs at least:\n", tilde, thousands(total))
	var longest time.Duration
	for _, k := range keys {
		limit := cfg.Limits[string(k.typ)]
		if limit <= 0 {
			continue
		}
		d := time.Duration(float64(counts[k]) / limit * float64(time.Second))
		longest = max(longest, d)
		m := k.mchid
		if m == "" {
			m = "(default)"
		}
		fmt.Fprintf(w, "  %-22s merchant %-12s %s%s jobs at %g/s ≈ %s\n", k.typ, m, tilde, thousands(counts[k]), limit, humanDuration(d))
	}
	if len(keys) > 1 {
		fmt.Fprintf(w, "  in all ≈ %s (different merchants and types are paced separately, in parallel)\n", humanDuration(longest))
	}
	fmt.Fprintln(w, "  (longer when other jobs of the same merchant and type are queued or more urgent)")
}

// humanDuration: "45 s", "83 min", "26.5 h".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d < 10*time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	default:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
}
