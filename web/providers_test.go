package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/payout"
	"payops/store"
)

// seedHealth gives the providers page something to show: sandbox calls
// with some transient failures, its balance, a succeeded week of payouts,
// and a RazorpayX IMPS downtime that arrives as a signed webhook.
func seedHealth(t *testing.T, a *app) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Minute)
	if err := a.store.AddCallStats(ctx, []store.CallStat{
		{Provider: "sandbox", Minute: now, Operation: "submit", ErrorClass: "none", Calls: 180, TotalMS: 18000, MaxMS: 900},
		{Provider: "sandbox", Minute: now, Operation: "submit", ErrorClass: "transient", Calls: 20, TotalMS: 40000, MaxMS: 10000},
		{Provider: "sandbox", Minute: now, Operation: "status", ErrorClass: "request", Calls: 3, TotalMS: 300, MaxMS: 120},
		{Provider: "sandbox", Minute: now, Operation: store.WebhookOperation, ErrorClass: store.OutcomeApplied, Calls: 120},
		{Provider: "xendit", Minute: now, Operation: store.WebhookOperation, ErrorClass: store.OutcomeRejected, Calls: 7},
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.RecordBalance(ctx, "sandbox", payout.Money{Minor: 12_000_000, Currency: "INR"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		newPayoutIn(t, a, fmt.Sprintf("OUT-%d", i), payout.Succeeded, 2_000_000)
	}
	body := `{"entity":"event","account_id":"acc_1","event":"payout.downtime.started","contains":["payout.downtime"],` +
		`"payload":{"payout.downtime":{"entity":{"id":"pdown_9","mode":"IMPS","message":"beneficiary banks slow on IMPS"}}},` +
		fmt.Sprintf(`"created_at":%d}`, time.Now().Unix())
	if code, res := razorpayxSigned(body, "evt_dt_1").post(t, a.srv.URL); code != http.StatusOK {
		t.Fatalf("downtime webhook: %d %v", code, res)
	}
	req := payout.Request{ReferenceID: "RZP-PAUSED", Provider: "razorpayx", AmountMinor: 50000, Currency: "INR", Mode: "IMPS",
		Market: "IN", Metadata: []byte(`{}`), Beneficiary: payout.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012",
			IFSC: "HDFC0001234", TaxArtifact: payout.TaxPresent}}
	if _, err := a.store.Intake(ctx, req, payout.Policy{}, store.Actor{Name: "api:test"}); err != nil {
		t.Fatal(err)
	}
}

// newPayoutIn records a payout to the sandbox in status, of minor paise.
func newPayoutIn(t *testing.T, a *app, ref string, status payout.Status, minor int64) {
	t.Helper()
	_, err := a.store.CreatePayout(context.Background(), "test", store.NewPayout{
		ReferenceID: ref, Provider: "sandbox", ProviderPayoutID: "sbx_" + ref,
		Amount: payout.Money{Minor: minor, Currency: "INR"}, Mode: "IMPS", Status: status,
		Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234", BankName: "HDFC Bank"},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestProvidersPageFollowsThePermissionTable(t *testing.T) {
	a := newApp(t, withProviders())
	seedHealth(t, a)
	for _, r := range payout.Roles {
		a.addUser(string(r)+"@example.com", r)
	}
	for _, r := range payout.Roles {
		c := a.client()
		c.login(string(r) + "@example.com")
		code, page := c.get("/providers")
		want := http.StatusOK
		if !r.Can(payout.ActReadProviders) {
			want = http.StatusForbidden
		}
		if code != want {
			t.Fatalf("%s GET /providers: %d, want %d", r, code, want)
		}
		if code != http.StatusOK {
			continue
		}
		for id, want := range map[string]string{
			"state-razorpayx":   "degraded", // IMPS paused by its downtime
			"state-sandbox":     "degraded", // 20 of 200 submissions failed transiently
			"success-sandbox":   "88.7%",
			"classes-sandbox":   "transient 20",
			"webhook-xendit":    "7 refused",
			"balance-sandbox":   "1,20,000.00 INR",
			"balance-razorpayx": "Not read yet",
			"breaker-sandbox":   "closed",
		} {
			if got, _ := textByID(t, page, id); !strings.Contains(got, want) {
				t.Errorf("%s: #%s reads %q, want %q", r, id, got, want)
			}
		}
		if got, _ := textByID(t, page, "provider-razorpayx"); !strings.Contains(got, "paused for IMPS") {
			t.Errorf("%s: razorpayx card %q, want its IMPS pause", r, got)
		}
		// ₹1,20,000 against ₹20,000 a day: not low.
		if got, _ := textByID(t, page, "balance-sandbox"); strings.Contains(got, "fund the account") {
			t.Errorf("%s: the sandbox's balance is called low: %q", r, got)
		}
	}
	c := a.client()
	if code, _ := c.get("/providers"); code != http.StatusSeeOther && code != http.StatusFound && code != http.StatusUnauthorized {
		t.Errorf("signed out: %d, want to be sent to sign in", code)
	}
	// The paused payout says why it waits.
	c.login("ops@example.com")
	_, page := c.get("/payouts/RZP-PAUSED")
	if got, _ := textByID(t, page, "sending"); !strings.Contains(got, "paused for IMPS") || !strings.Contains(got, "Nothing is lost") {
		t.Errorf("the paused payout's Sending reads %q", got)
	}
}

func TestBalanceLowOnTheProvidersPage(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	for i := range 7 {
		newPayoutIn(t, a, fmt.Sprintf("LOW-%d", i), payout.Succeeded, 2_000_000) // ₹20,000 a day
	}
	if err := a.store.RecordBalance(ctx, "sandbox", payout.Money{Minor: 3_000_000, Currency: "INR"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	a.addUser("finance@example.com", payout.RoleFinance)
	c := a.client()
	c.login("finance@example.com")
	_, page := c.get("/providers")
	if got, _ := textByID(t, page, "balance-sandbox"); !strings.Contains(got, "fund the account") {
		t.Errorf("balance %q, want it called low (₹30,000 against ₹20,000 a day)", got)
	}
	// The page says so; nobody is told of a test provider's balance.
	low, err := a.store.LowBalances(ctx, time.Now())
	if err != nil || len(low) != 0 {
		t.Errorf("low balances to notify %+v %v, want none: the sandbox moves no money", low, err)
	}
}

// Finance opens the providers page at 1280x720: every card fits.
func TestBrowserProviders(t *testing.T) {
	a := newApp(t, withProviders())
	seedHealth(t, a)
	a.addUser("finance@example.com", payout.RoleFinance)
	ctx := browser(t)
	step(t, ctx, "a 1280x720 viewport", chromedp.EmulateViewport(1280, 720))
	signIn(t, ctx, a.srv.URL, "finance@example.com")
	step(t, ctx, "open the overview and follow its providers link",
		chromedp.Navigate(a.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#providers-link")),
		chromedp.Click(chromedp.CSS("#providers-link")),
		chromedp.WaitVisible(chromedp.CSS("#providers")),
	)
	fitsWidth(t, ctx, "providers page")
	screenshot(t, ctx, "providers")
	if got := text(t, ctx, "#state-razorpayx"); !strings.EqualFold(got, "degraded") {
		t.Errorf("razorpayx state %q, want degraded", got)
	}
	step(t, ctx, "open the paused payout",
		chromedp.Navigate(a.srv.URL+"/payouts/RZP-PAUSED"),
		chromedp.WaitVisible(chromedp.CSS("#sending")),
	)
	fitsWidth(t, ctx, "paused payout")
}

// A downtime notice with no time of its own, replayed after its resolution
// (a captured signed body, sent again), pauses nothing: the endpoint knows
// the delivery, by its body's hash.
func TestAReplayedDowntimeNoticePausesNothing(t *testing.T) {
	a := newApp(t, withProviders())
	ctx := context.Background()
	notice := func(event string) signed {
		return razorpayxSigned(`{"entity":"event","account_id":"acc_1","event":"payout.downtime.`+event+`",`+
			`"contains":["payout.downtime"],"payload":{"payout.downtime":{"entity":{"id":"pdown_replay","mode":"IMPS",`+
			`"message":"beneficiary banks slow on IMPS"}}}}`, "")
	}
	paused := func() int {
		ps, err := a.store.Pauses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	for i, c := range []struct {
		event string
		want  int
	}{{"started", 1}, {"resolved", 0}, {"started", 0}} {
		if code, res := notice(c.event).post(t, a.srv.URL); code != http.StatusOK {
			t.Fatalf("notice %d (%s): %d %v", i, c.event, code, res)
		}
		if got := paused(); got != c.want {
			t.Errorf("after notice %d (%s): %d pauses, want %d", i, c.event, got, c.want)
		}
	}
}
