package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/payout"
)

// Signing in from a link whose next hides another site behind a tab
// (Chromium drops tabs in URLs, so "/\t/evil.example" is "//evil.example"
// to it) ends on the payops overview, not off-site.
func TestBrowserSignInNextStaysOnSite(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	// evil.example is a server of the test's, so a browser sent there
	// lands somewhere that says so instead of failing to resolve the name.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<title>evil</title><p id=evil>off-site</p>"))
	}))
	t.Cleanup(evil.Close)
	ctx := browser(t, chromedp.Flag("host-resolver-rules", "MAP evil.example "+evil.Listener.Addr().String()))
	for _, next := range []string{"/%09/evil.example", "/%5Cevil.example", "%2F%2Fevil.example", "/%250a/evil.example"} {
		step(t, ctx, "sign in through /login?next="+next,
			chromedp.Navigate(a.srv.URL+"/login?next="+next),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), "ops@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), "secret-pass"),
			chromedp.Click(chromedp.CSS("#login-submit")),
		)
		got := landedOn(t, ctx, a.srv.URL+"/login")
		if want := a.srv.URL + "/"; got != want {
			t.Fatalf("next=%s: signed in and landed on %q, want the overview %q", next, got, want)
		}
		if name := text(t, ctx, "#current-user"); name != "ops" {
			t.Errorf("next=%s: the overview shows user %q, want ops", next, name)
		}
		step(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
			chromedp.WaitVisible(chromedp.CSS("#email")))
	}
}

// landedOn waits until the tab has left from (the page the form was on)
// and finished loading, and returns where it is. A redirect the page's
// content security policy blocks (form-action 'self' stops Chromium from
// following a form's redirect off-site) leaves the tab where it was.
func landedOn(t *testing.T, ctx context.Context, from string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		href, err := chromedp.Run(rctx,
			chromedp.Evaluate[string](`document.readyState === "complete" ? location.href : ""`))
		cancel()
		if err == nil && href != "" && !strings.HasPrefix(href, from) {
			return href
		}
		if time.Now().After(deadline) {
			t.Fatalf("still on %s 10 s after submitting: no redirect, or one the browser refused (%v)", from, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
