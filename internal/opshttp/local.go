package opshttp

import (
	dto "github.com/prometheus/client_model/go"

	"github.com/couponq/couponq/internal/metrics"
)

// local is what this worker did for one job type, read from its metrics.
type local struct {
	Succeeded    float64            `json:"succeeded"`
	Failed       float64            `json:"failed"`
	FailedByCode map[string]float64 `json:"failed_by_code"`
	Throttled    float64            `json:"throttled"`
	DeadLetters  float64            `json:"dead_letters"`
	InFlight     float64            `json:"in_flight"`
	// APICalls counts WeChat Pay calls, any outcome: the send rate's source.
	APICalls float64 `json:"api_calls"`
}

// readLocal sums the couponq per-process families by job type.
func readLocal(fams []*dto.MetricFamily) map[string]*local {
	out := map[string]*local{}
	get := func(t string) *local {
		l := out[t]
		if l == nil {
			l = &local{FailedByCode: map[string]float64{}}
			out[t] = l
		}
		return l
	}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			labels := labelsOf(m)
			switch f.GetName() {
			case metrics.NameJobsFinished:
				l, v := get(labels[metrics.LabelType]), m.GetCounter().GetValue()
				if labels[metrics.LabelOutcome] == "succeeded" {
					l.Succeeded += v
				} else if v > 0 {
					l.Failed += v
					l.FailedByCode[labels[metrics.LabelCode]] += v
				}
			case metrics.NameThrottled:
				get(labels[metrics.LabelType]).Throttled += m.GetCounter().GetValue()
			case metrics.NameDeadLetters:
				get(labels[metrics.LabelType]).DeadLetters += m.GetCounter().GetValue()
			case metrics.NameInFlight:
				get(labels[metrics.LabelType]).InFlight += m.GetGauge().GetValue()
			case metrics.NameAPIRequestDuration:
				get(labels[metrics.LabelEndpoint]).APICalls += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func labelsOf(m *dto.Metric) map[string]string {
	l := make(map[string]string, len(m.GetLabel()))
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}
