package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long run is: a progress bar with rate and ETA on
// a terminal, a plain line every progressLogEvery otherwise (logs, pipes).
type progress interface {
	Add(n int)
	Finish()
}

// progressLogEvery is how often the plain progress line is written.
const progressLogEvery = 10 * time.Second

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns the progress display for total units (lines, jobs)
// written to w; with enabled false it shows nothing.
func newProgress(w io.Writer, total int64, desc, unit string, enabled bool) progress {
	switch {
	case !enabled:
		return noProgress{}
	case isTerminal(w):
		return barProgress{progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)}
	default:
		return &lineProgress{w: w, total: total, desc: desc, unit: unit, start: time.Now(), next: time.Now().Add(progressLogEvery)}
	}
}

type noProgress struct{}

func (noProgress) Add(int) {}
func (noProgress) Finish() {}

type barProgress struct{ b *progressbar.ProgressBar }

func (p barProgress) Add(n int) { _ = p.b.Add(n) }
func (p barProgress) Finish()   { _ = p.b.Finish() }

// lineProgress writes "desc: N of M unit (R/s)" now and then.
type lineProgress struct {
	w           io.Writer
	total, done int64
	desc, unit  string
	start, next time.Time
}

func (p *lineProgress) Add(n int) {
	p.done += int64(n)
	if now := time.Now(); now.After(p.next) {
		p.next = now.Add(progressLogEvery)
		rate := float64(p.done) / now.Sub(p.start).Seconds()
		fmt.Fprintf(p.w, "%s: %s of ~%s %s (%.0f/s)\n", p.desc, thousands(p.done), thousands(p.total), p.unit, rate)
	}
}

func (p *lineProgress) Finish() {}

// thousands formats n with thousands separators: 100000 → "100,000".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
