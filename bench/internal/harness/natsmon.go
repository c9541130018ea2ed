package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// NATSCounters are nats-server's cumulative counters that a benchmark
// compares before and after a phase (from the monitoring endpoint: /varz
// and /jsz).
type NATSCounters struct {
	InMsgs, OutMsgs   int64 // messages received from / sent to clients, server-wide
	InBytes, OutBytes int64 // bytes received from / sent to clients
	APITotal          int64 // JetStream API requests
	Memory, Storage   int64 // JetStream bytes held in memory / on disk now
	Streams           int   // JetStream streams now
	Consumers         int   // JetStream consumers now
	Messages          int64 // messages held in all streams now
}

// NATSMonitor reads nats-server's monitoring endpoint.
type NATSMonitor struct {
	BaseURL string // e.g. http://127.0.0.1:8222
}

// Counters reads /varz and /jsz.
func (m NATSMonitor) Counters(ctx context.Context) (NATSCounters, error) {
	var v struct {
		InMsgs   int64 `json:"in_msgs"`
		OutMsgs  int64 `json:"out_msgs"`
		InBytes  int64 `json:"in_bytes"`
		OutBytes int64 `json:"out_bytes"`
	}
	var j struct {
		Memory    int64 `json:"memory"`
		Storage   int64 `json:"storage"`
		Streams   int   `json:"streams"`
		Consumers int   `json:"consumers"`
		Messages  int64 `json:"messages"`
		API       struct {
			Total int64 `json:"total"`
		} `json:"api"`
	}
	if err := m.get(ctx, "/varz", &v); err != nil {
		return NATSCounters{}, err
	}
	if err := m.get(ctx, "/jsz", &j); err != nil {
		return NATSCounters{}, err
	}
	return NATSCounters{
		InMsgs: v.InMsgs, OutMsgs: v.OutMsgs, InBytes: v.InBytes, OutBytes: v.OutBytes,
		APITotal: j.API.Total, Memory: j.Memory, Storage: j.Storage,
		Streams: j.Streams, Consumers: j.Consumers, Messages: j.Messages,
	}, nil
}

// Sub returns the change from a to c (the gauges are c's).
func (c NATSCounters) Sub(a NATSCounters) NATSCounters {
	d := c
	d.InMsgs -= a.InMsgs
	d.OutMsgs -= a.OutMsgs
	d.InBytes -= a.InBytes
	d.OutBytes -= a.OutBytes
	d.APITotal -= a.APITotal
	return d
}

func (m NATSMonitor) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(m.BaseURL, "/")+path, nil)
	if err != nil {
		return fmt.Errorf("nats monitor %s: %w", path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("nats monitor %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("nats monitor %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("nats monitor %s: decode: %w", path, err)
	}
	return nil
}

// JetStreamSubjects asks a stream's info for its per-subject counts.
func JetStreamSubjects(filter string) jetstream.StreamInfoOpt {
	return jetstream.WithSubjectFilter(filter)
}
