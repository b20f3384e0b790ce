package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"payops/payout"
	"payops/store"
)

// overviewFixture adds payouts over the last 7 business days in Kolkata,
// one before them and a drill's, and returns today's start there.
func overviewFixture(t *testing.T, a *app, ist *time.Location) time.Time {
	t.Helper()
	y, m, d := time.Now().In(ist).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, ist)
	day := func(n int) time.Time { return time.Date(y, m, d-n, 0, 0, 0, 0, ist) }
	for _, p := range []struct {
		ref, provider, currency string
		minor                   int64
		status                  payout.Status
		created                 time.Time
	}{
		{"OV-1", "sandbox", "INR", 100000, payout.Succeeded, today.Add(time.Minute)},
		{"OV-2", "sandbox", "INR", 25050, payout.Failed, today.Add(2 * time.Minute)},
		{"OV-3", "sandbox", "INR", 9900, payout.Processing, today.Add(3 * time.Minute)},
		{"OV-4", "nxtbanking", "INR", 50000, payout.Succeeded, day(1).Add(23*time.Hour + 50*time.Minute)},
		{"OV-5", "nxtbanking", "INR", 70000, payout.Reversed, day(3).Add(time.Hour)},
		{"OV-6", "xendit", "IDR", 150000, payout.Succeeded, day(6).Add(time.Hour)},
		{"OV-7", "sandbox", "USD", 1200, payout.Cancelled, today.Add(time.Minute)},
		{"OV-OLD", "sandbox", "INR", 100, payout.Succeeded, day(6).Add(-time.Minute)},
		{"OV-DRILL", payout.DrillProvider, "INR", 100, payout.Succeeded, today.Add(time.Minute)},
	} {
		_, err := a.store.CreatePayout(context.Background(), "test", store.NewPayout{ReferenceID: p.ref,
			Provider: p.provider, Amount: payout.Money{Minor: p.minor, Currency: p.currency}, Status: p.status,
			CreatedAt: p.created, Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012"},
			Test: p.provider == payout.DrillProvider}) // the sandbox's stand in for live payouts here
		if err != nil {
			t.Fatal(err)
		}
	}
	return today
}

// The overview's volume per currency and success rate per provider, today
// and over the last 7 business days: the numbers are the payouts', drill
// payouts never count, and the page says what it counts.
func TestOverviewTrends(t *testing.T) {
	ist, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(t, withBusinessTZ(ist))
	a.addUser("ops@example.com", payout.RoleOps)
	today := overviewFixture(t, a, ist)
	c := a.client()
	c.login("ops@example.com")
	_, page := c.get("/")
	figures := map[string]string{
		"volume-INR .vol-today-count": "3", "volume-INR .vol-today-amount": "1,349.50 INR",
		"volume-INR .vol-week-count": "5", "volume-INR .vol-week-amount": "2,549.50 INR",
		"volume-USD .vol-today-count": "1", "volume-IDR .vol-today-count": "0", "volume-IDR .vol-week-count": "1",
		"rate-sandbox .rate-today": "50.0%", "rate-sandbox .rate-today-succeeded": "1",
		"rate-sandbox .rate-today-settled": "2", "rate-nxtbanking .rate-today": "—",
		"rate-nxtbanking .rate-week": "50.0%", "rate-nxtbanking .rate-week-settled": "2",
		"rate-xendit .rate-week": "100.0%",
	}
	for sel, want := range figures {
		id, class, _ := strings.Cut(sel, " .")
		if got := textOf(selectOne(t, page, id, class)); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	if byID(t, page, "volume-"+"drill") != nil || byID(t, page, "rate-"+payout.DrillProvider) != nil {
		t.Error("drill payouts are in the overview")
	}
	from := today.AddDate(0, 0, -6).Format("2006-01-02")
	if got, _ := textByID(t, page, "trends-note"); !strings.Contains(got, "Asia/Kolkata") {
		t.Errorf("the trends do not say their days' time zone: %q", got)
	}
	if got, _ := textByID(t, page, "rate-rule"); !strings.Contains(got, "succeeded ÷ settled") {
		t.Errorf("the page does not say what the rate counts: %q", got)
	}
	href := attr(selectOne(t, page, "volume-INR", "vol-week-count"), "href")
	if !strings.Contains(href, "created_from="+from) || !strings.Contains(href, "currency=INR") {
		t.Errorf("week's INR link %s", href)
	}
}

// Following the overview's numbers (and a day's bar) lands on the payouts
// list showing exactly the payouts they count.
func TestBrowserOverviewLinksShowTheirPayouts(t *testing.T) {
	ist, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(t, withBusinessTZ(ist))
	a.addUser("ops@example.com", payout.RoleOps)
	overviewFixture(t, a, ist)
	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "ops@example.com")
	shots(t, ctx, "overview")
	cancelled := `getComputedStyle(document.querySelector("#status-CANCELLED .badge")).textDecorationLine`
	if got := eval[string](t, ctx, cancelled); got != "none" {
		t.Errorf("the CANCELLED badge is drawn with %s", got)
	}
	for _, link := range []struct {
		sel  string
		refs []string
	}{
		{"#volume-INR .vol-today-count", []string{"OV-1", "OV-2", "OV-3"}},
		{"#volume-INR .vol-week-amount", []string{"OV-1", "OV-2", "OV-3", "OV-4", "OV-5"}},
		{"#rate-sandbox .rate-today", []string{"OV-1", "OV-2"}},
		{"#rate-nxtbanking .rate-week-succeeded", []string{"OV-4"}},
		{"#rate-nxtbanking .rate-week", []string{"OV-4", "OV-5"}},
		{"#volume-INR svg a:nth-of-type(6)", []string{"OV-4"}}, // yesterday's bar
		{"#volume-IDR .vol-week-amount", []string{"OV-6"}},
	} {
		step(t, ctx, "follow "+link.sel, chromedp.Navigate(a.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(link.sel)),
			chromedp.Click(chromedp.CSS(link.sel)), chromedp.WaitVisible(chromedp.CSS("#payouts-count")))
		got := eval[[]string](t, ctx,
			`[...document.querySelectorAll("#payouts-table tr.payout-row")].map(r => r.id.slice(7))`)
		slices.Sort(got)
		if !slices.Equal(got, link.refs) {
			t.Errorf("%s lists %v, want %v", link.sel, got, link.refs)
		}
	}
	shots(t, ctx, "overview-followed")
}

// A tile is red only when its number is above zero: no "0 rejected" in red.
func TestZeroTilesAreNotRed(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	_, page := c.get("/webhooks")
	// The page always shows the rejected tile, with none in the last day too.
	n := selectOne(t, page, "outcome-counts", "out-rejected")
	number := find(n, func(m *html.Node) bool { return hasClass(m, "tile-number") })
	if number == nil || textOf(number) != "0" || hasClass(n, "nonzero") {
		t.Errorf("the rejected tile with no deliveries is marked %q", attr(n, "class"))
	}
	_, page = c.get("/")
	for _, id := range []string{"stuck-total", "holds-total", "recon-total"} {
		if n := byID(t, page, id); n == nil || hasClass(n, "tile-bad") {
			t.Errorf("the overview's %s tile is red at zero", id)
		}
	}
}

// Differences still open on a day before the reconciliation grid's
// fortnight count on the overview's tile, as the grid carries them forward.
func TestOverviewCountsDifferencesBeforeTheFortnight(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	old := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -20)
	if _, err := a.store.Reconcile(context.Background(), "nxtbanking", old, old, old.Add(24*time.Hour), "upload",
		"finance@example.com", []payout.ProviderRecord{{ProviderPayoutID: "pp-OLD", ReferenceID: "OLD-1",
			Amount: payout.Money{Minor: 100, Currency: "INR"}, Status: payout.Succeeded}}, false); err != nil {
		t.Fatal(err)
	}
	c := a.client()
	c.login("finance@example.com")
	if _, page := c.get("/"); !strings.Contains(page, `id="recon-total"><span class="tile-number">1</span>`) {
		t.Error("the overview's reconciliation tile does not count a difference open 20 days ago")
	}
}
