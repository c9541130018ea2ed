// Package browsertest drives Debian's headless chromium from Go tests (via
// chromedp) and judges screenshots. Tests that need it skip when no browser
// is installed, except under CI=true, where a missing browser fails them
// (.ci/browser-deps installs it).
package browsertest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Chromium returns the browser to drive, skipping the test when there is
// none, except under CI=true, where a missing browser fails it.
func Chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium binary on PATH and CI=true: run .ci/browser-deps first")
	}
	t.Skip("no chromium binary on PATH: install it with .ci/browser-deps to run the dashboard browser test")
	return ""
}

// Browser starts a fresh headless chromium and returns its context.
func Browser(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1440, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// Inspect returns the number of distinct colours in a PNG and the share of
// pixels that are neither white nor the page background.
func Inspect(t *testing.T, data []byte) (int, float64) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	return CountInk(img)
}

// CountInk is Inspect on a decoded image.
func CountInk(img image.Image) (int, float64) {
	bounds := img.Bounds()
	colours := map[[3]uint32]bool{}
	inked := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			c := [3]uint32{r >> 8, g >> 8, b >> 8}
			colours[c] = true
			if c != [3]uint32{255, 255, 255} && c != [3]uint32{0xf4, 0xf6, 0xf9} {
				inked++
			}
		}
	}
	return len(colours), float64(inked) / float64(bounds.Dx()*bounds.Dy())
}
