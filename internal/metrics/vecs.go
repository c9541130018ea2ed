package metrics

import "github.com/prometheus/client_golang/prometheus"

// Histogram buckets.
var (
	// apiBuckets span a fast local call to the client's 10s timeout.
	apiBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	// waitBuckets span no wait to a minute behind a long backlog.
	waitBuckets = []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	// attemptBuckets span the first try to well past retry.max_attempts.
	attemptBuckets = []float64{1, 2, 3, 4, 5, 6, 8, 10, 15, 20}
)

// vecs are the per-process metric vectors.
type vecs struct {
	finished     *prometheus.CounterVec
	jobAttempts  *prometheus.HistogramVec
	attempts     *prometheus.CounterVec
	api          *prometheus.HistogramVec
	throttled    *prometheus.CounterVec
	rateWait     *prometheus.HistogramVec
	redeliveries *prometheus.CounterVec
	inFlight     *prometheus.GaugeVec
	deadLetters  *prometheus.CounterVec
}

func newVecs() vecs {
	return vecs{
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameJobsFinished,
			Help: "Jobs that got their result, by type, outcome and error code (empty for succeeded).",
		}, []string{LabelType, LabelOutcome, LabelCode}),
		jobAttempts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    NameJobAttempts,
			Help:    "Attempts a finished job took, by type and outcome.",
			Buckets: attemptBuckets,
		}, []string{LabelType, LabelOutcome}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameAttempts,
			Help: "Processing attempts (deliveries worked on), by type.",
		}, []string{LabelType}),
		api: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    NameAPIRequestDuration,
			Help:    "WeChat Pay API call latency, by endpoint (job type) and status class.",
			Buckets: apiBuckets,
		}, []string{LabelEndpoint, LabelStatusClass}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameThrottled,
			Help: "429 answers from WeChat Pay, by merchant and type.",
		}, []string{LabelMchID, LabelType}),
		rateWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    NameRateWait,
			Help:    "Time jobs waited for fleet rate budget before a call, by type.",
			Buckets: waitBuckets,
		}, []string{LabelType}),
		redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameRedeliveries,
			Help: "Jobs delivered again (a retry or a crashed worker's job), by type.",
		}, []string{LabelType}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameInFlight,
			Help: "Jobs this worker holds now, by type.",
		}, []string{LabelType}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameDeadLetters,
			Help: "Dead letters this worker stored, by type and error code.",
		}, []string{LabelType, LabelCode}),
	}
}

func (v vecs) all() []prometheus.Collector {
	return []prometheus.Collector{v.finished, v.jobAttempts, v.attempts, v.api, v.throttled,
		v.rateWait, v.redeliveries, v.inFlight, v.deadLetters}
}

// typeMetrics are one type's series, resolved once so the hot path only
// looks up the type.
type typeMetrics struct {
	name              string
	succeeded         prometheus.Counter
	attemptsSucceeded prometheus.Observer
	attemptsFailed    prometheus.Observer
	attempts          prometheus.Counter
	api               [len(classes)]prometheus.Observer
	rateWait          prometheus.Observer
	redeliveries      prometheus.Counter
	inFlight          prometheus.Gauge
}

func (v vecs) forType(t string) *typeMetrics {
	tm := &typeMetrics{
		name:              t,
		succeeded:         v.finished.WithLabelValues(t, outcomeSucceeded, ""),
		attemptsSucceeded: v.jobAttempts.WithLabelValues(t, outcomeSucceeded),
		attemptsFailed:    v.jobAttempts.WithLabelValues(t, outcomeFailed),
		attempts:          v.attempts.WithLabelValues(t),
		rateWait:          v.rateWait.WithLabelValues(t),
		redeliveries:      v.redeliveries.WithLabelValues(t),
		inFlight:          v.inFlight.WithLabelValues(t),
	}
	for i, c := range classes {
		tm.api[i] = v.api.WithLabelValues(t, c)
	}
	return tm
}
