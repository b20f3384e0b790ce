package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"payops/payout"
	"payops/store"
)

// One admin proposes IN live in the browser, a second approves it, and a
// payout to IN is sent; then one admin puts IN back to read-only at once and
// the next payout is held. The pages fit 1280 px.
func TestBrowserMarketLaunch(t *testing.T) {
	// No background worker: the test sends LAUNCH-1 itself (a.submit) and
	// counts the sandbox's creates right after.
	a := newApp(t, withLiveProvider())
	apiLive := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	a.addUser("a1@example.com", payout.RoleAdmin)
	a.addUser("a2@example.com", payout.RoleAdmin)
	ctx := context.Background()
	if _, err := a.store.SetMarketReadOnly(ctx, "IN", payout.DefaultProgram, store.Actor{Name: "test"}, "before launch"); err != nil {
		t.Fatal(err)
	}
	doc := payout.LaunchDoc{Market: "IN", Program: payout.DefaultProgram, Live: true,
		Owners: payout.Owners{PayoutSupport: "a1@example.com", UserRecovery: "a1@example.com",
			BlockedPayouts: "a2@example.com", IncidentResponse: "a2@example.com"},
		TaxArtifactsRequired: new(true),
		Settlement: payout.Settlement{Rail: payout.RailFiat, PostingWindow: "T+1 business day by 18:00 IST",
			FeeTreatment: "platform bears the fee", CompletedMeans: "provider SUCCEEDED with UTR",
			ExceptionPath: "ops owner contacts the beneficiary within 1 business day"}}
	draft, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}

	first := browser(t)
	step(t, first, "a 1280x720 viewport", chromedp.EmulateViewport(1280, 720))
	signIn(t, first, a.srv.URL, "a1@example.com")
	step(t, first, "propose IN live",
		chromedp.Navigate(a.srv.URL+"/markets/IN"),
		chromedp.WaitVisible(chromedp.CSS("#propose-form")),
		chromedp.SetValue(chromedp.CSS("#document-draft"), string(draft)),
		chromedp.SendKeys(chromedp.CSS(`#propose-form input[name="reason"]`), "IN launch signed off"),
		chromedp.Click(chromedp.CSS("#propose")),
		chromedp.WaitVisible(chromedp.CSS("#open-proposal")),
	)
	fitsWidth(t, first, "market page with a proposal")
	if why := text(t, first, "#approve-why-not"); !strings.Contains(why, "another admin") {
		t.Errorf("the proposer reads %q, want why they may not approve", why)
	}

	second := browser(t)
	step(t, second, "a 1280x720 viewport", chromedp.EmulateViewport(1280, 720))
	signIn(t, second, a.srv.URL, "a2@example.com")
	step(t, second, "approve IN live",
		chromedp.Navigate(a.srv.URL+"/markets/IN"),
		chromedp.WaitVisible(chromedp.CSS("#approve-form")),
		chromedp.SendKeys(chromedp.CSS(`#approve-form input[name="reason"]`), "owners and settlement path checked"),
		chromedp.Click(chromedp.CSS(`#approve-form input[name="accept_unverified"]`)),
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitVisible(chromedp.CSS("#market-notice")),
	)
	if state := text(t, second, "#market-state"); !strings.Contains(state, "Live") {
		t.Fatalf("IN after approval: %q, want live", state)
	}
	code, body, _ := a.api("POST", "/api/v1/payouts", apiLive, apiBody("LAUNCH-1", withProvider("nxtbanking")))
	if code != http.StatusAccepted || body["status"] != "QUEUED" {
		t.Fatalf("a payout to IN once live: %d %v, want QUEUED", code, body)
	}
	a.submit()
	if n := a.createsOf("LAUNCH-1"); n != 1 {
		t.Fatalf("the sandbox was asked %d times to create LAUNCH-1, want once", n)
	}

	step(t, first, "put IN back to read-only",
		chromedp.Navigate(a.srv.URL+"/markets/IN"),
		chromedp.WaitVisible(chromedp.CSS("#read-only-form")),
		chromedp.SendKeys(chromedp.CSS(`#read-only-form input[name="reason"]`), "provider incident"),
		chromedp.Click(chromedp.CSS("#read-only")),
		chromedp.WaitVisible(chromedp.CSS("#market-notice")),
	)
	fitsWidth(t, first, "market page after read-only")
	screenshot(t, first, "market-in-1280")
	code, body, _ = a.api("POST", "/api/v1/payouts", apiLive, apiBody("LAUNCH-2", withProvider("nxtbanking")))
	if code != http.StatusAccepted || body["status"] != "HELD" {
		t.Fatalf("a payout to IN after read-only: %d %v, want HELD", code, body)
	}
}
