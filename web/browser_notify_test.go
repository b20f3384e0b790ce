package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/payout"
)

// With JavaScript, saving a condition's settings replaces its panel in
// place: a bad reminder shows its message there, a good one "Saved." and
// the value kept, and the page is never left (a marker set on it stays).
func TestBrowserNotifySettings(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	ctx := browser(t)
	step(t, ctx, "a 1280x720 viewport", chromedp.EmulateViewport(1280, 720))
	signIn(t, ctx, a.srv.URL, "admin@example.com")
	step(t, ctx, "open the notification settings from Settings", chromedp.Click(chromedp.CSS("#nav-settings")),
		chromedp.WaitVisible(chromedp.CSS("#settings-notifications")),
		chromedp.Click(chromedp.CSS("#settings-notifications")),
		chromedp.WaitVisible(chromedp.CSS("#notify-form-stuck")))
	marker(t, ctx)
	step(t, ctx, "save a bad reminder", chromedp.SetValue(chromedp.CSS("#notify-reminder-stuck"), "soon"),
		chromedp.Click(chromedp.CSS("#notify-save-stuck")), chromedp.WaitVisible(chromedp.CSS("#notify-problem-stuck")))
	if got := text(t, ctx, "#notify-stuck #error-reminder"); !strings.Contains(got, "Minutes from 0") {
		t.Errorf("the reminder's message: %q", got)
	}
	step(t, ctx, "save a good one", chromedp.SetValue(chromedp.CSS("#notify-reminder-stuck"), "45"),
		chromedp.Click(chromedp.CSS("#notify-save-stuck")), chromedp.WaitVisible(chromedp.CSS("#notify-notice-stuck")))
	if got := value(t, ctx, "#notify-reminder-stuck"); got != "45" {
		t.Errorf("the reminder after saving: %q", got)
	}
	if !hasMarker(t, ctx) {
		t.Error("the page was reloaded: the panel was not replaced in place")
	}
	fitsWidth(t, ctx, "notification settings")
	screenshot(t, ctx, "notify-settings-saved")
	// A chat webhook to a private address is refused where it is typed, and
	// the message never repeats the URL (a secret).
	step(t, ctx, "save a chat webhook to a private address",
		chromedp.SetValue(chromedp.CSS("#notify-chat-stuck"), "https://10.0.0.5/hooks/s3cret"),
		chromedp.Click(chromedp.CSS("#notify-save-stuck")), chromedp.WaitVisible(chromedp.CSS("#notify-problem-stuck")))
	if got := text(t, ctx, "#notify-stuck #error-chat"); !strings.Contains(got, "Chat webhook refused") ||
		strings.Contains(got, "s3cret") {
		t.Errorf("the chat webhook's message: %q", got)
	}
	fitsWidth(t, ctx, "notification settings with a refused chat webhook")
	screenshot(t, ctx, "notify-settings-chat-refused")
}

func marker(t *testing.T, ctx context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__notifyMarker = true`)); err != nil {
		t.Fatal(err)
	}
}

func hasMarker(t *testing.T, ctx context.Context) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__notifyMarker === true`))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
