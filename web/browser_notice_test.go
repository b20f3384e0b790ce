package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"payops/payout"
)

// What an action did is said once: the address drops ?done= once the page
// shows it, so a reload does not say it again.
func TestBrowserNoticeIsSaidOnce(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "admin@example.com")
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
