package metrics_test

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/fleetview"
	"github.com/couponq/couponq/internal/metrics"
)

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{0: "transport", 200: "2xx", 204: "2xx", 400: "4xx", 404: "4xx",
		429: "429", 500: "5xx", 503: "5xx", 302: "other", 100: "other", 700: "other"} {
		require.Equal(t, want, metrics.StatusClass(status), "status %d", status)
	}
}

// TestNoLabelCanCarryJobData feeds job-controlled text (job ids, coupon
// codes, unknown types, merchants, codes, priorities) into every method and
// the fleet snapshot, then checks over HTTP that every label value of every
// couponq series is from a bounded set.
func TestNoLabelCanCarryJobData(t *testing.T) {
	jobData := []string{"MCHUSE202003101234", "sxxe34343434", "coupon_code=abc", "", "busifavor.use/ID-1",
		"NOT_ENOUGH ", "not_enough", "HTTP_999", "HTTP_20", "HTTP_2000", "1900000001x", "OTHER", "2xx "}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		jobData = append(jobData, "JOB-"+strconv.FormatUint(rng.Uint64(), 36))
	}
	snap := fleetview.Snapshot{Backlog: map[string]uint64{}, DLQDepth: map[string]uint64{}}
	for i, s := range jobData {
		snap.Backlog[s] = uint64(i)
		snap.DLQDepth[s] = uint64(i)
		snap.Flows = append(snap.Flows, fleetview.FlowStat{MchID: s, Type: s, Priority: -i, Backlog: 1})
		snap.Limits = append(snap.Limits, fleetview.LimitStat{MchID: s, Type: s, Limit: 1})
	}
	b := setup(t, func(c *metrics.Config) {
		c.Source = &staticSource{snap: snap}
	})
	m := b.m
	for i, s := range jobData {
		m.JobFinished(s, "failed", s, i)
		m.JobFinished("busifavor.use", s, s, i)
		m.JobFinished("busifavor.use", "failed", s, i)
		m.Attempt(s)
		m.APICall(s, s, 0.1)
		m.APICall("busifavor.use", s, 0.1)
		m.Throttled(s, s)
		m.BudgetWait(s, 1)
		m.Redelivered(s)
		m.InFlightInc(s)
		m.DeadLettered(s, s)
		m.DeadLettered("busifavor.use", s)
	}
	m.JobFinished("busifavor.use", "failed", "HTTP_503", 1) // HTTP_<status> is kept

	allowed := map[string]func(string) bool{
		"type":         in(append(slices.Clone(testTypes), "other")),
		"endpoint":     in(append(slices.Clone(testTypes), "other")),
		"mchid":        in(append(slices.Clone(testMerchants), "other")),
		"outcome":      in([]string{"succeeded", "failed", "other"}),
		"status_class": in([]string{"2xx", "4xx", "429", "5xx", "transport", "other"}),
		"priority":     in([]string{"1", "2", "3", "4", "5", "other"}),
		"code": func(v string) bool {
			return v == "" || v == "OTHER" || slices.Contains(metrics.KnownCodes, v) || regexp.MustCompile(`^HTTP_[1-5]\d\d$`).MatchString(v)
		},
		"le":        func(string) bool { return true }, // histogram buckets
		"version":   in([]string{"v1.2.3"}),
		"goversion": in([]string{"go1.26.8"}),
		"signer":    in([]string{"go"}),
	}
	fams := scrape(t, b.url)
	seenCodes := map[string]bool{}
	for name, f := range fams {
		for _, mt := range f.GetMetric() {
			for k, v := range labelMap(mt) {
				ok := allowed[k]
				require.NotNil(t, ok, "%s has unexpected label %s", name, k)
				require.True(t, ok(v), "%s{%s=%q} is not a bounded value", name, k, v)
				if k == "code" {
					seenCodes[v] = true
				}
			}
		}
	}
	require.True(t, seenCodes["OTHER"], "unknown codes map to OTHER")
	require.True(t, seenCodes["HTTP_503"])
	require.False(t, seenCodes["HTTP_999"])
	require.Equal(t, float64(len(jobData)), value(t, fams, metrics.NameFlowBacklog, "mchid", "other", "type", "other", "priority", "other"),
		"the fleet snapshot's unknown names fold into one series")
}

func in(xs []string) func(string) bool {
	return func(v string) bool { return slices.Contains(xs, v) }
}
