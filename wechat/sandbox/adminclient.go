package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/couponq/couponq/wechat/marketing"
)

// AdminClient speaks a sandbox's admin API from another process (a benchmark
// driving cmd/sandbox, for example). It is safe for concurrent use.
type AdminClient struct {
	// BaseURL is the sandbox's address, e.g. "http://127.0.0.1:8090".
	BaseURL string
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client
}

// Stats returns every operation's counters summed over merchants.
func (c *AdminClient) Stats(ctx context.Context) (map[marketing.Operation]EndpointStats, error) {
	var out map[marketing.Operation]EndpointStats
	return out, c.call(ctx, http.MethodGet, AdminStatsPath, nil, &out)
}

// StatsFor returns one merchant's counters per operation.
func (c *AdminClient) StatsFor(ctx context.Context, mchid string) (map[marketing.Operation]EndpointStats, error) {
	var out map[marketing.Operation]EndpointStats
	return out, c.call(ctx, http.MethodGet, AdminStatsPath+"?mchid="+url.QueryEscape(mchid), nil, &out)
}

// Inject queues a fault (see Sandbox.Inject).
func (c *AdminClient) Inject(ctx context.Context, f Fault) error {
	return c.call(ctx, http.MethodPost, AdminFaultsPath, f, nil)
}

// ClearFaults drops every queued fault.
func (c *AdminClient) ClearFaults(ctx context.Context) error {
	return c.call(ctx, http.MethodDelete, AdminFaultsPath, nil, nil)
}

// SetLimits changes the named operations' limits and returns all limits.
func (c *AdminClient) SetLimits(ctx context.Context, limits map[marketing.Operation]int) (map[marketing.Operation]int, error) {
	var out map[marketing.Operation]int
	return out, c.call(ctx, http.MethodPut, AdminLimitsPath, limits, &out)
}

// Limits returns every operation's limit.
func (c *AdminClient) Limits(ctx context.Context) (map[marketing.Operation]int, error) {
	var out map[marketing.Operation]int
	return out, c.call(ctx, http.MethodGet, AdminLimitsPath, nil, &out)
}

// ResetStats zeroes the counters (see Sandbox.ResetStats).
func (c *AdminClient) ResetStats(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, AdminResetStatsPath, nil, nil)
}

// Effects returns Sandbox.Effects for every operation.
func (c *AdminClient) Effects(ctx context.Context) (map[marketing.Operation]int, error) {
	var out map[marketing.Operation]int
	return out, c.call(ctx, http.MethodGet, AdminEffectsPath, nil, &out)
}

func (c *AdminClient) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("sandbox admin %s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("sandbox admin %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return fmt.Errorf("sandbox admin %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sandbox admin %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("sandbox admin %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}
