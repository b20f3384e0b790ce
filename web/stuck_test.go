package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

// A last check that got no answer shows as failed, with its reason, not as
// a fresh check: the provider not configured, or down; a check answered
// after a failure shows as a check again.
func TestStuckRowShowsAFailedCheck(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	answered := refWithFate(t, "AN", sandbox.Stuck)
	a.addPayout(answered, payout.Processing, time.Hour)
	a.addPayout("XEN-1", payout.Processing, 2*time.Hour)
	a.store.DB().MustExec(`UPDATE payouts SET provider = 'xendit' WHERE reference_id = 'XEN-1'`)
	down := refWithFate(t, "DW", sandbox.Success)
	a.addPayout(down, payout.Processing, 3*time.Hour)

	c := a.client()
	c.login("ops@example.com")
	htmx := map[string]string{"HX-Request": "true"}
	for _, ref := range []string{answered, "XEN-1"} {
		if code, _, _ := c.do("POST", "/payouts/"+ref+"/recheck", url.Values{}, htmx); code != http.StatusOK {
			t.Fatalf("re-check %s: %d", ref, code)
		}
	}
	a.sandbox.Close()
	code, row, _ := c.do("POST", "/payouts/"+down+"/recheck", url.Values{"back": {""}}, htmx)
	if code != http.StatusOK {
		t.Fatalf("re-check with the provider down: %d", code)
	}
	// The row the Re-check answers with says so at once.
	row = "<table>" + row + "</table>"
	if got, _ := textByID(t, row, "payout-"+down); !strings.Contains(got, "failed just now") {
		t.Errorf("the re-checked row %q does not show its check failed", got)
	}

	_, page := c.get("/payouts/stuck")
	for _, tt := range []struct{ ref, reason string }{
		{"XEN-1", "provider not configured: xendit"},
		{down, "connection refused"},
	} {
		if got := textOf(selectOne(t, page, "payout-"+tt.ref, "check-failed")); got != "failed just now" {
			t.Errorf("%s: last check %q, want failed just now", tt.ref, got)
		}
		if got := textOf(selectOne(t, page, "payout-"+tt.ref, "check-reason")); !strings.Contains(got, tt.reason) {
			t.Errorf("%s: reason %q, want %q in it", tt.ref, got, tt.reason)
		}
	}
	// The list says above the rows which providers Re-check cannot ask,
	// and only when it lists some.
	if got, _ := textByID(t, page, "stuck-unconfigured"); !strings.Contains(got, "xendit is not configured here, so Re-check and the stale re-check cannot ask it") ||
		strings.Contains(got, "sandbox:") {
		t.Errorf("the not-configured notice %q", got)
	}
	if _, sandboxOnly := c.get("/payouts/stuck?provider=sandbox"); byID(t, sandboxOnly, "stuck-unconfigured") != nil {
		t.Error("a list of configured providers' payouts says some are not configured")
	}
	failed := func(n *html.Node) bool { return hasClass(n, "check-failed") }
	if n := byID(t, page, "payout-"+answered); n == nil || find(n, failed) != nil {
		t.Errorf("the answered payout's check shows as failed")
	}
	if got := textOf(selectOne(t, page, "payout-"+answered, "last-check")); got != "just now" {
		t.Errorf("answered payout's last check %q", got)
	}
}

// Without JavaScript, Re-check posts the form and comes back to the list,
// where the payout's row says what the Re-check found: kept on the page
// when it is no longer stuck, in its place when it still is, and a
// provider that could not be asked shown as a failed check with its reason.
func TestBrowserRecheckWithoutJavaScript(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	ok := refWithFate(t, "NJ", sandbox.Success)
	still := refWithFate(t, "NS", sandbox.Stuck)
	a.addPayout(ok, payout.Processing, 5*time.Hour)
	a.addPayout(still, payout.Processing, 4*time.Hour)
	a.addPayout("XEN-2", payout.Queued, 3*time.Hour)
	a.store.DB().MustExec(`UPDATE payouts SET provider = 'xendit' WHERE reference_id = 'XEN-2'`)

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "ops@example.com")
	noJavaScript(t, ctx)
	step(t, ctx, "open the stuck list", chromedp.Navigate(a.srv.URL+"/payouts/stuck?provider=sandbox"),
		chromedp.WaitVisible(chromedp.CSS("#payout-"+ok)))
	if htmx := eval[bool](t, ctx, `document.documentElement.classList.contains("js")`); htmx {
		t.Fatal("the page ran its scripts")
	}
	recheck := func(ref string) {
		t.Helper()
		step(t, ctx, "re-check "+ref, chromedp.Click(chromedp.CSS("#payout-"+ref+" button.recheck")),
			chromedp.WaitVisible(chromedp.CSS("#payout-"+ref+" .outcome")))
		if got := eval[string](t, ctx, "location.pathname + location.search"); got !=
			"/payouts/stuck?provider=sandbox&rechecked="+ref {
			t.Errorf("landed on %s", got)
		}
	}
	recheck(ok)
	if got := text(t, ctx, "#payout-"+ok+" .outcome"); got != "moved to SUCCEEDED" {
		t.Errorf("outcome %q, want moved to SUCCEEDED", got)
	}
	if got := text(t, ctx, "#payout-"+ok+" .badge"); got != "SUCCEEDED" {
		t.Errorf("status %q after the re-check", got)
	}
	if got := text(t, ctx, "#payout-"+ok+" .age"); got != "no longer stuck" {
		t.Errorf("the row of a payout that left the list says %q", got)
	}
	shots(t, ctx, "stuck-nojs-left")
	recheck(still)
	if got := text(t, ctx, "#payout-"+still+" .outcome"); got != "provider says PROCESSING, unchanged" {
		t.Errorf("outcome %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#stuck-table .outcome").length`); n != 1 {
		t.Errorf("%d rows show an outcome; only the last re-checked one should", n)
	}
	shots(t, ctx, "stuck-nojs-recheck")

	recheckUnconfigured(t, ctx, a.srv.URL)
	shots(t, ctx, "stuck-failed-check")
}

// recheckUnconfigured re-checks XEN-2, a payout of a provider payops has no
// credentials for, without JavaScript: its row says the provider could not
// be asked and shows its last check failed, with the reason.
func recheckUnconfigured(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	step(t, ctx, "open the list of every provider", chromedp.Navigate(base+"/payouts/stuck"),
		chromedp.WaitVisible(chromedp.CSS("#payout-XEN-2")))
	step(t, ctx, "re-check a payout of a provider payops has no credentials for",
		chromedp.Click(chromedp.CSS("#payout-XEN-2 button.recheck")),
		chromedp.WaitVisible(chromedp.CSS("#payout-XEN-2 .outcome")))
	if got := text(t, ctx, "#payout-XEN-2 .outcome"); !strings.Contains(got, "could not ask the provider") ||
		!strings.Contains(got, "not configured") {
		t.Errorf("outcome %q", got)
	}
	if got := text(t, ctx, "#payout-XEN-2 .check-failed"); got != "failed just now" {
		t.Errorf("last check %q", got)
	}
	if got := text(t, ctx, "#payout-XEN-2 .check-reason"); got != "provider not configured: xendit" {
		t.Errorf("reason %q", got)
	}
}

// A payout payops holds back unsent because its provider is paused (a
// downtime) stays on the stuck list, marked so, but is counted apart: the
// list's count and the overview's stuck tile are the payouts waiting on
// their provider, the paused ones named beside them; when the pause ends
// they count as stuck again.
func TestBrowserStuckPausedCountedApart(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("WAIT-1", payout.Processing, 3*time.Hour)
	a.addPayout("HELDBACK-1", payout.Queued, 2*time.Hour)
	a.addPayout("HELDBACK-2", payout.Queued, 2*time.Hour)
	a.store.DB().MustExec(`UPDATE payouts SET submitted_at = NULL, provider_payout_id = NULL,
		updated_at = now() - interval '2 hours' WHERE reference_id LIKE 'HELDBACK-%'`)
	if err := a.store.RecordDowntime(context.Background(), store.Downtime{Provider: "sandbox", ID: "dt-1",
		Detail: "IMPS down at the bank"}, time.Hour); err != nil {
		t.Fatal(err)
	}

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "ops@example.com")
	step(t, ctx, "open the stuck list", chromedp.Navigate(a.srv.URL+"/payouts/stuck"),
		chromedp.WaitVisible(chromedp.CSS("#payout-HELDBACK-1")))
	if got := text(t, ctx, "#stuck-count"); got != "1" {
		t.Errorf("stuck count %q, want 1 (the two paused payouts apart)", got)
	}
	if got := text(t, ctx, "#stuck-paused"); got != "+ 2 paused by payops" {
		t.Errorf("paused count %q", got)
	}
	if got := text(t, ctx, "#payout-HELDBACK-2"); !strings.Contains(got, "Paused by payops, not sent") {
		t.Errorf("a paused payout's row says %q", got)
	}
	fitsWidth(t, ctx, "the stuck list with paused payouts")
	shots(t, ctx, "stuck-paused")

	step(t, ctx, "open the overview", chromedp.Navigate(a.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#stuck-total")))
	if got := text(t, ctx, "#stuck-total .tile-number"); got != "1" {
		t.Errorf("the overview's stuck tile says %q, want 1", got)
	}
	if got := text(t, ctx, "#stuck-paused"); got != "+ 2 paused by payops" {
		t.Errorf("the overview's stuck tile names the paused payouts as %q", got)
	}
	if got := text(t, ctx, "#stuck-by-provider .paused-note"); got != "2 of them paused by payops, not sent" {
		t.Errorf("the provider's row names its paused payouts as %q", got)
	}
	fitsWidth(t, ctx, "the overview with paused payouts")
	shots(t, ctx, "overview-stuck-paused")

	if err := a.store.RecordDowntime(context.Background(), store.Downtime{Provider: "sandbox", ID: "dt-1",
		Resolved: true}, time.Hour); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "open the stuck list after the downtime", chromedp.Navigate(a.srv.URL+"/payouts/stuck"),
		chromedp.WaitVisible(chromedp.CSS("#stuck-count")))
	if got := text(t, ctx, "#stuck-count"); got != "3" {
		t.Errorf("stuck count after the downtime %q, want 3", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#stuck-paused").length`); n != 0 {
		t.Error("the paused count shows with nothing paused")
	}
}

// The overview's stuck tile links the drills' stuck payouts when test data
// is on: the stuck list takes the drill provider, as the payouts list does
// (in the live view it finds none: drill payouts are test payouts).
func TestTheStuckListFiltersDrillPayoutsInTestData(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	if code, body, _ := c.do("GET", "/payouts/stuck?provider=drill", nil, nil); code != http.StatusOK ||
		!strings.Contains(body, "No drill payouts are stuck") {
		t.Errorf("live view, provider=drill: %d, want 200 and no drill payout stuck: %.200s", code, body)
	}
	c.viewTestData()
	code, body, _ := c.do("GET", "/payouts/stuck?provider=drill", nil, nil)
	if code != http.StatusOK || !strings.Contains(body, `<option value="drill" selected>`) {
		t.Errorf("test data, provider=drill: %d, want 200 with drill chosen: %.300s", code, body)
	}
}
