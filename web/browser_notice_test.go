package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"payops/payout"
)

// adminInBrowser is a payops with an admin, signed in in a browser.
func adminInBrowser(t *testing.T) (*app, context.Context) {
	t.Helper()
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "admin@example.com")
	return a, ctx
}

// What an action did is said once: the address drops ?done= once the page
// shows it, so a reload does not say it again.
func TestBrowserNoticeIsSaidOnce(t *testing.T) {
	a, ctx := adminInBrowser(t)
	step(t, ctx, "open the jobs page as Run now leaves it",
		chromedp.Navigate(a.srv.URL+"/jobs?done=ran"),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
		chromedp.Poll[chromedp.Void](`!location.search.includes("done=")`),
	)
	href, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || strings.Contains(href, "done=") || !strings.HasSuffix(href, "/jobs") {
		t.Errorf("the address after the notice: %s %v", href, err)
	}
	step(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1")))
	notices, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#notice").length`))
	if err != nil || notices != 0 {
		t.Errorf("a reload said the notice again: %d %v", notices, err)
	}
}

// A page answering a post with a secret shown once gives the address bar
// its own address: a reload reads the page, the secret gone, and sends
// nothing again.
func TestBrowserASecretShownOnceIsNotPostedAgainOnReload(t *testing.T) {
	a, ctx := adminInBrowser(t)
	step(t, ctx, "create a token",
		chromedp.Navigate(a.srv.URL+"/settings/tokens"),
		chromedp.SetValue(chromedp.CSS("#token-name"), "ci"),
		chromedp.Click(chromedp.CSS(`input[name="scope"][value="test"]`)),
		chromedp.Click(chromedp.CSS("#create-token-submit")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")),
	)
	step(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#create-token-form")))
	if body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main"))); strings.Contains(body, "has this name already") {
		t.Error("the reload sent the token's form again")
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#new-token").length`))
	if err != nil || shown != 0 {
		t.Errorf("after a reload the secret shows again: %d %v", shown, err)
	}
	if n := a.audited("admin@example.com", "token.create", "1"); n != 1 {
		var all []string
		a.store.DB().Select(&all, `SELECT action || ' ' || entity_id FROM audit_log`)
		t.Errorf("token.create audited %d times, want once (%v)", n, all)
	}
}
