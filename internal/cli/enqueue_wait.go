package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// maxNamed bounds how many missing jobs a timeout names.
const maxNamed = 20

// awaitAndPrint waits for the results of want (message ids), prints each as
// a JSON line and, at the timeout, names the jobs still missing. A result of
// a duplicate may be older than this run, so then the whole results stream
// is read.
func awaitAndPrint(ctx context.Context, js jetstream.JetStream, want []string, anyDuplicate bool, o *enqueueOptions, stdout, stderr io.Writer) int {
	since := time.Now().Add(-time.Minute)
	if anyDuplicate {
		since = time.Time{}
	}
	wctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	enc := json.NewEncoder(stdout)
	failed := 0
	found, err := jobs.AwaitResults(wctx, js, want, since, func(r *jobs.Result) {
		if !r.Succeeded() {
			failed++
		}
		_ = enc.Encode(r)
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		if missing := missingIDs(want, found); len(missing) > 0 {
			fmt.Fprintf(stderr, "no result yet for %d of %d jobs: %s\n", len(missing), len(want), nameSome(missing))
			fmt.Fprintln(stderr, "they may still be queued or retrying: see 'couponq stats' and 'couponq results --id ID --follow'")
		}
		return exitFailed
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "%d of %d jobs failed\n", failed, len(want))
		return exitFailed
	}
	return exitOK
}

// missingIDs lists the message ids of want without a result, sorted.
func missingIDs(want []string, found map[string]*jobs.Result) []string {
	var out []string
	for _, id := range want {
		if found[id] == nil {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// nameSome joins up to maxNamed ids and says how many more there are.
func nameSome(ids []string) string {
	if len(ids) <= maxNamed {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:maxNamed], ", ") + fmt.Sprintf(" and %d more", len(ids)-maxNamed)
}

// eventTimeOr is --event-time, or now.
func eventTimeOr(o *enqueueOptions) time.Time {
	if o.eventTime.IsZero() {
		return time.Now()
	}
	return o.eventTime
}
