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

	"payops/payout"
	"payops/store"
)

// The header's "View test data" switch, a plain form: on, every page shows
// the banner and the lists and totals show test payouts instead of live
// ones; off, the other way round. It comes back to the page it was pressed
// on, never off the site.
func TestViewTestDataSwitch(t *testing.T) {
	ist, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(t, withBusinessTZ(ist))
	a.addUser("ops@example.com", payout.RoleOps)
	overviewFixture(t, a, ist)
	c := a.client()
	c.login("ops@example.com")

	pressed := func(page string) string {
		t.Helper()
		sw := byID(t, page, "test-data-switch")
		if sw == nil {
			t.Fatal("no test data switch in the header")
		}
		var button *html.Node
		for n := sw.FirstChild; n != nil; n = n.NextSibling {
			if n.Type == html.ElementNode && n.Data == "button" {
				button = n
			}
		}
		if button == nil {
			t.Fatal("the switch has no button")
		}
		return attr(button, "aria-pressed")
	}
	check := func(test bool) {
		t.Helper()
		_, page := c.get("/payouts")
		if got := byID(t, page, "test-data-banner") != nil; got != test {
			t.Errorf("test data %v: banner shown %v", test, got)
		}
		if got, want := pressed(page), map[bool]string{false: "false", true: "true"}[test]; got != want {
			t.Errorf("test data %v: switch aria-pressed %q", test, got)
		}
		if got := byID(t, page, "payout-OV-DRILL") != nil; got != test {
			t.Errorf("test data %v: the drill payout listed %v", test, got)
		}
		if got := byID(t, page, "payout-OV-1") != nil; got == test {
			t.Errorf("test data %v: a live payout listed %v", test, got)
		}
		_, page = c.get("/")
		if got := byID(t, page, "rate-"+payout.DrillProvider) != nil; got != test {
			t.Errorf("test data %v: the overview rates the drill provider %v", test, got)
		}
	}
	check(false)
	for ref, test := range map[string]bool{"OV-DRILL": true, "OV-1": false} {
		if _, page := c.get("/payouts/" + ref); (byID(t, page, "test-payout") != nil) != test {
			t.Errorf("%s's page: test badge shown %v, want %v", ref, !test, test)
		}
	}

	for _, tt := range []struct {
		on, next, location string
		test               bool
	}{
		{"1", "/payouts?status=SUCCEEDED", "/payouts?status=SUCCEEDED", true},
		{"0", "/", "/", false},
		{"1", "//evil.example.com/", "/", true},
	} {
		code, _, h := c.do("POST", "/test-data", url.Values{"on": {tt.on}, "next": {tt.next}}, nil)
		if code != http.StatusSeeOther || h.Get("Location") != tt.location {
			t.Errorf("switch %s to %s: %d to %q, want 303 to %q", tt.on, tt.next, code, h.Get("Location"), tt.location)
		}
		check(tt.test)
	}
}

// viewTestData turns the client's "View test data" switch on: the API's
// sandbox payouts are test payouts, shown only so.
func (c *client) viewTestData() {
	c.t.Helper()
	if code, body, _ := c.do("POST", "/test-data", url.Values{"on": {"1"}, "next": {"/"}}, nil); code != http.StatusSeeOther {
		c.t.Fatalf("view test data: %d %s", code, body)
	}
}

// viewTestData presses the header's "View test data" switch in the browser
// and waits for the banner.
func viewTestData(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "view test data", chromedp.Click(chromedp.CSS(`#test-data-switch button`)),
		chromedp.WaitVisible(chromedp.CSS("#test-data-banner")))
}

// A reference in both modes (a test token's payout under a live payout's
// reference): each payout's links open that payout, with its own history
// — a test payout's name its mode (?mode=test) — and a bare address opens
// the live one.
func TestAReferenceInBothModesOpensEachPayout(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	ctx := context.Background()
	for _, p := range []struct {
		provider string
		minor    int64
	}{{"nxtbanking", 125050}, {payout.SandboxProvider, 1000}} {
		if _, err := a.store.CreatePayout(ctx, "api:"+p.provider, store.NewPayout{ReferenceID: "TWIN-1", Provider: p.provider,
			Amount: payout.Money{Minor: p.minor, Currency: "INR"}, Mode: "IMPS", Status: payout.Queued,
			Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"},
			Test:        payout.IsTestProvider(p.provider)}); err != nil {
			t.Fatal(err)
		}
	}
	c := a.client()
	c.login("ops@example.com")
	for _, tt := range []struct {
		on, path      string
		amount, actor string
		not           string
	}{
		{"", "/payouts/TWIN-1", "1,250.50", "api:nxtbanking", "api:sandbox"},
		{"1", "/payouts/TWIN-1", "1,250.50", "api:nxtbanking", "api:sandbox"},
		{"1", "/payouts/TWIN-1?mode=test", "10.00", "api:sandbox", "api:nxtbanking"},
		{"", "/payouts/TWIN-1?mode=live", "1,250.50", "api:nxtbanking", "api:sandbox"},
	} {
		if code, _, _ := c.do("POST", "/test-data", url.Values{"on": {tt.on}, "next": {"/"}}, nil); code != http.StatusSeeOther {
			t.Fatalf("the switch: %d", code)
		}
		code, page := c.get(tt.path)
		if code != http.StatusOK || !strings.Contains(page, tt.amount) || !strings.Contains(page, tt.actor) ||
			strings.Contains(page, tt.not) {
			t.Errorf("%s (test data %q): %d; want the payout of %s (%s) and none of %s's history", tt.path, tt.on, code,
				tt.amount, tt.actor, tt.not)
		}
	}
	// The test view's list links to the test payout.
	c.do("POST", "/test-data", url.Values{"on": {"1"}, "next": {"/"}}, nil)
	_, list := c.get("/payouts")
	if !strings.Contains(list, `href="/payouts/TWIN-1?mode=test"`) {
		t.Errorf("the test view's list does not link to the test payout's page")
	}
	if code, _ := c.get("/payouts/TWIN-1?mode=both"); code != http.StatusBadRequest {
		t.Errorf("an unknown mode: %d, want 400", code)
	}
}
