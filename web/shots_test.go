package web_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// shots saves the page as it looks in a 1280x720 and a 1440x900 window
// (whole length, name-1280.png and name-1440.png) when PAYOPS_SCREENSHOTS
// names a folder, then gives the tab its own size back.
func shots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("PAYOPS_SCREENSHOTS") == "" {
		return
	}
	for _, size := range [][2]int64{{1280, 720}, {1440, 900}} {
		step(t, ctx, "resize to "+fmt.Sprint(size), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: size[0], Height: size[1], DeviceScaleFactor: 1})
			return err
		}))
		screenshot(t, ctx, fmt.Sprintf("%s-%d", name, size[0]))
	}
	step(t, ctx, "back to the window's size", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	}))
}

// noJavaScript turns scripts off in the tab, as for someone browsing without
// them: forms post and pages load whole.
func noJavaScript(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "turn JavaScript off", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}

// eval returns the value of a JavaScript expression in the tab.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
