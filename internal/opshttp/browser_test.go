package opshttp

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/internal/browsertest"
	"github.com/couponq/couponq/internal/fleetview"
)

// fillDashboard gives the fake fleet and the real metrics five minutes of
// history: busifavor.use near 300/s of 500, product_coupon.update at its
// 20/s with a 429 that cuts the budget and a recovery.
func fillDashboard(b *bundle, start time.Time) dashboardRates {
	snap := func(i int) fleetview.Snapshot {
		budget := 20.0
		if i >= 60 && i < 100 {
			budget = 15 + float64(i-60)*0.125 // cut to 15 after a 429, probing back up
		}
		return fleetview.Snapshot{
			LiveWorkers: 3,
			Backlog:     map[string]uint64{"busifavor.use": 42, "busifavor.stock.get": 0, "product_coupon.use": 7, "product_coupon.update": uint64(15000 - 40*i)},
			DLQDepth:    map[string]uint64{"busifavor.use": 3, "product_coupon.update": 2},
			Limits: []fleetview.LimitStat{
				{MchID: "1900000001", Type: "busifavor.use", Limit: 500, Budget: 500, Rate: 475},
				{MchID: "1900000001", Type: "busifavor.stock.get", Limit: 50, Budget: 50, Rate: 47.5},
				{MchID: "1900000001", Type: "product_coupon.use", Limit: 100, Budget: 100, Rate: 95},
				{MchID: "1900000001", Type: "product_coupon.update", Limit: 20, Budget: budget, Rate: budget * 0.95, Cuts: 1},
				{MchID: "1900000002", Type: "busifavor.use", Limit: 500, Budget: 500, Rate: 475},
			},
			Flows: []fleetview.FlowStat{
				{MchID: "1900000001", Type: "busifavor.use", Priority: 1, Backlog: 30, InFlight: 12},
				{MchID: "1900000002", Type: "busifavor.use", Priority: 1, Backlog: 12, InFlight: 4},
				{MchID: "1900000001", Type: "product_coupon.use", Priority: 3, Backlog: 7, InFlight: 2},
				{MchID: "1900000001", Type: "product_coupon.update", Priority: 5, Backlog: uint64(15000 - 40*i), InFlight: 20},
			},
		}
	}
	rates := dashboardRates{
		"busifavor.use":         func(i int) float64 { return 300 + 60*math.Sin(float64(i)/9) },
		"busifavor.stock.get":   func(i int) float64 { return 4 + 2*math.Sin(float64(i)/5) },
		"product_coupon.use":    func(i int) float64 { return 40 + 15*math.Cos(float64(i)/12) },
		"product_coupon.update": func(i int) float64 { return math.Min(snap(i).Limits[3].Rate, 19.4) },
	}
	for range 1234 {
		b.m.JobFinished("busifavor.use", "succeeded", "", 1)
	}
	for range 880 {
		b.m.JobFinished("product_coupon.update", "succeeded", "", 1)
	}
	for range 5 {
		b.m.JobFinished("busifavor.use", "failed", "NOT_ENOUGH", 1)
	}
	b.m.JobFinished("busifavor.use", "failed", "RESOURCE_NOT_EXISTS", 1)
	b.m.JobFinished("product_coupon.update", "failed", "RETRIES_EXHAUSTED", 5)
	b.m.Throttled("1900000001", "product_coupon.update")
	b.m.DeadLettered("busifavor.use", "NOT_ENOUGH")
	for range 9 {
		b.m.InFlightInc("busifavor.use")
	}
	for i := 1; i <= 150; i++ {
		b.fleet.set(func(f *fakeFleet) { f.snap = snap(i) })
		sendFor(b, 2*time.Second, rates, i)
		b.srv.sampler.sample(b.ctx, start.Add(time.Duration(i)*2*time.Second))
	}
	return rates
}

// dashboardRates are the send rates fillDashboard plays, per sample index.
type dashboardRates = map[string]func(i int) float64

// sendFor records the API calls of d at rates[type](i).
func sendFor(b *bundle, d time.Duration, rates dashboardRates, i int) {
	for typ, r := range rates {
		for range int(math.Round(r(i) * d.Seconds())) {
			b.m.APICall(typ, "2xx", 0.004)
		}
	}
}

func TestDashboardInBrowser(t *testing.T) {
	exe := browsertest.Chromium(t)
	start := time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	b := setup(t, func(c *Config) {
		c.SampleEvery = time.Second // the page polls at this pace
		c.Clock = clock.Func(func() time.Time { return start })
	})
	rates := fillDashboard(b, start)
	ctx := browsertest.Browser(t, exe)

	var mu sync.Mutex
	var requests, exceptions []string
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			if d.Exception != nil {
				exceptions = append(exceptions, d.Exception.Description)
			} else {
				exceptions = append(exceptions, d.Text)
			}
		}
	}))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(b.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`article[data-type="product_coupon.update"]`)),
	))
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return s
	}
	card := func(typ, stat string) string {
		return `article[data-type="` + typ + `"] [data-stat="` + stat + `"]`
	}
	want := map[string]string{
		"#live-workers": "3", "#total-succeeded": "2,114", "#total-failed": "7", "#total-backlog": "9,049",
		"#total-dlq": "5", "#ready": "ready",
		card("product_coupon.update", "backlog"):                                      "9,000",
		card("product_coupon.update", "limit"):                                        "20",
		card("product_coupon.update", "throttled"):                                    "1",
		card("busifavor.use", "in-flight"):                                            "9",
		card("busifavor.use", "codes") + ` [data-code="NOT_ENOUGH"] b`:                "5",
		card("busifavor.use", "codes") + ` [data-code="RESOURCE_NOT_EXISTS"] b`:       "1",
		card("product_coupon.update", "codes") + ` [data-code="RETRIES_EXHAUSTED"] b`: "1",
	}
	for sel, w := range want {
		require.Equal(t, w, text(sel), sel)
	}
	require.Contains(t, text(`#merchants tr[data-mchid="1900000001"][data-type="product_coupon.update"]`), "9,000")

	// The chart drew the send rate and the limit.
	for _, cls := range []string{"sent", "limit", "budget"} {
		d, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`article[data-type="product_coupon.update"] path.`+cls), "d"))
		require.NoError(t, err)
		require.Greater(t, strings.Count(d.Value, "L"), 100, "%s: one point per sample", cls)
	}

	// Live: new results, a shrinking backlog and lost readiness show up
	// without a reload.
	for range 6 {
		b.m.JobFinished("busifavor.use", "succeeded", "", 1)
	}
	b.fleet.set(func(f *fakeFleet) {
		f.snap.Backlog = map[string]uint64{"busifavor.use": 40, "product_coupon.update": 8960}
		f.ready = errorString("nats: disconnected")
	})
	sendFor(b, 2*time.Second, rates, 151)
	b.srv.sampler.sample(b.ctx, start.Add(302*time.Second))
	require.NoError(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
		`document.querySelector('#total-succeeded').textContent === '2,120' &&
		 document.querySelector('article[data-type="product_coupon.update"] [data-stat="backlog"]').textContent === '8,960' &&
		 document.querySelector('#ready').textContent === 'not ready'`, chromedp.WithPollingTimeout(20*time.Second))))
	b.fleet.set(func(f *fakeFleet) { f.ready = nil })
	require.NoError(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
		`document.querySelector('#ready').textContent === 'ready'`, chromedp.WithPollingTimeout(20*time.Second))))

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := os.Getenv("DASHBOARD_SCREENSHOT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "dashboard.png")
	}
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot: %s", path)
	colours, inked := browsertest.Inspect(t, shot)
	t.Logf("screenshot: %d colours, %.0f%% of pixels inked", colours, inked*100)
	require.Greater(t, colours, 200, "a rendered page has many colours (text antialiasing, charts)")
	require.Greater(t, inked, 0.10, "more than 10%% of pixels differ from the page background")

	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, exceptions, "no JavaScript errors")
	require.NotEmpty(t, requests)
	for _, u := range requests {
		require.True(t, strings.HasPrefix(u, b.url+"/") || strings.HasPrefix(u, "data:"), "request to %s: the page must work offline", u)
	}
}

// errorString is a constant error.
type errorString string

func (e errorString) Error() string { return string(e) }
