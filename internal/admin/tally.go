package admin

import (
	"sort"

	"github.com/couponq/couponq/jobs"
)

// Tally counts a campaign's results as they arrive, in constant memory for
// successes: only failures are kept (for the report). A replay's result
// replaces the failure it replays: a replay that succeeds moves the job from
// failed to succeeded, one that fails again keeps it failed with the new
// error. Not safe for concurrent use.
type Tally struct {
	Succeeded, Failed int64
	failures          map[string]*StoredResult // by type/id
}

// NewTally returns an empty tally.
func NewTally() *Tally { return &Tally{failures: map[string]*StoredResult{}} }

// Add counts one result of the campaign.
func (t *Tally) Add(r *StoredResult) {
	key := string(r.Type) + "/" + r.ID
	prev, hadFailure := t.failures[key]
	switch {
	case r.Replay == 0 && hadFailure && prev.Replay == 0:
		// The same first-run result twice (a re-read): nothing new.
	case r.Replay == 0 && r.Succeeded():
		t.Succeeded++
	case r.Replay == 0:
		t.Failed++
		t.failures[key] = r
	case !hadFailure:
		// A replay of a failure this tally has not seen (before --since):
		// not counted, as its first run was not.
	case r.Succeeded():
		t.Failed--
		t.Succeeded++
		delete(t.failures, key)
	default:
		t.failures[key] = r
	}
}

// Done is the number of jobs with a final result.
func (t *Tally) Done() int64 { return t.Succeeded + t.Failed }

// Failures returns the current failures sorted by type and id.
func (t *Tally) Failures() []*StoredResult {
	out := make([]*StoredResult, 0, len(t.failures))
	for _, r := range t.failures {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// CodeCount is the number of failed jobs with one error code.
type CodeCount struct {
	Code  string
	Class string
	Jobs  int64
}

// ByCode counts the current failures by error code, most frequent first.
func (t *Tally) ByCode() []CodeCount {
	m := map[string]int64{}
	for _, r := range t.failures {
		m[errorCode(r.Result)]++
	}
	out := make([]CodeCount, 0, len(m))
	for c, n := range m {
		out = append(out, CodeCount{Code: c, Class: jobs.FailureClass(c), Jobs: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Jobs != out[j].Jobs {
			return out[i].Jobs > out[j].Jobs
		}
		return out[i].Code < out[j].Code
	})
	return out
}

func errorCode(r *jobs.Result) string {
	if r.Error == nil {
		return ""
	}
	return r.Error.Code
}
