package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"payops/payout"
	"payops/store"
)

// IN's launch document asks two compliance approvals, by different people,
// for INR 5,00,000.00 and above. The first approver approves on the payout's
// page; the same person may not approve again (the page says why, and the
// store refuses a forged post); the second reads the first's note and
// releases, and the payout is sent.
func TestBrowserTwoApproversRefuseTheSamePersonTwice(t *testing.T) {
	// No background worker: the test sends BIG-1 itself (a.submit) and
	// counts the sandbox's creates right after.
	a := newApp(t, withLiveProvider())
	apiLive := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	a.addUser("c1@example.com", payout.RoleCompliance)
	a.addUser("c2@example.com", payout.RoleCompliance)
	ctx := context.Background()
	twoApprovalsInIN(t, a)
	code, body, _ := a.api("POST", "/api/v1/payouts", apiLive, apiBody("BIG-1", func(m map[string]any) {
		withProvider("nxtbanking")(m)
		m["amount"] = "600000.00"
	}))
	if code != http.StatusAccepted || body["status"] != "HELD" {
		t.Fatalf("a payout at the approval rule: %d %v, want HELD", code, body)
	}
	p, err := a.store.PayoutByRef(ctx, "BIG-1", store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	holds, err := a.store.HoldsFor(ctx, p.ID)
	if err != nil || len(holds) != 1 || holds[0].Reason != payout.ReasonReview {
		t.Fatalf("holds of BIG-1 = %+v, %v; want one review hold", holds, err)
	}
	id := strconv.FormatInt(holds[0].ID, 10)
	form := `form[action="/holds/` + id + `/evidence"]`

	first := browser(t)
	step(t, first, "a 1280x720 viewport", chromedp.EmulateViewport(1280, 720))
	signIn(t, first, a.srv.URL, "c1@example.com")
	step(t, first, "read IN's rules", chromedp.Navigate(a.srv.URL+"/markets/IN"), chromedp.WaitVisible(chromedp.CSS("#market-rules")))
	if rules := text(t, first, "#market-rules"); !strings.Contains(rules, "2 approvals by different people") {
		t.Errorf("IN's rules read %q, want the approval rule in words", rules)
	}
	fitsWidth(t, first, "market page with its rules")
	screenshot(t, first, "market-rules-1280")
	step(t, first, "give the first approval",
		chromedp.Navigate(a.srv.URL+"/payouts/BIG-1"),
		chromedp.WaitVisible(chromedp.CSS("#release-"+id)),
	)
	if label := text(t, first, "#release-"+id); label != "Approve (1 of 2)" {
		t.Errorf("the first approver's button reads %q, want Approve (1 of 2)", label)
	}
	step(t, first, "approve with a note",
		chromedp.SendKeys(chromedp.CSS(form+` textarea[name="note"]`), "source of funds checked against the contract"),
		chromedp.Click(chromedp.CSS("#release-"+id)),
		chromedp.WaitVisible(chromedp.CSS("#approvals-"+id)),
	)
	if why := text(t, first, "#four-eyes-"+id); !strings.Contains(why, "earlier approval") {
		t.Errorf("after approving, the first approver reads %q, want why they may not approve again", why)
	}
	fitsWidth(t, first, "payout page with one of two approvals")
	screenshot(t, first, "approvals-first-1280")

	// A forged second approval by the same person is refused by the store.
	c1 := a.client()
	c1.login("c1@example.com")
	if code, page, _ := c1.do("POST", "/holds/"+id+"/release", url.Values{"note": {"approving a second time myself"}, "seen": {a.seen(id)}}, nil); code != http.StatusForbidden || !strings.Contains(page, "earlier approval") {
		t.Fatalf("the same person's second approval: %d, want refused\n%s", code, page)
	}
	if got, _ := a.store.ApprovalsFor(ctx, p.ID); len(got) != 1 {
		t.Fatalf("approvals after a refused repeat = %d, want 1", len(got))
	}
	if _, page := c1.get("/holds"); !strings.Contains(page, "1 approval given") {
		t.Error("the holds queue does not say BIG-1 has one approval")
	}

	second := browser(t)
	step(t, second, "a 1440x900 viewport", chromedp.EmulateViewport(1440, 900))
	signIn(t, second, a.srv.URL, "c2@example.com")
	step(t, second, "read the first approval",
		chromedp.Navigate(a.srv.URL+"/payouts/BIG-1"),
		chromedp.WaitVisible(chromedp.CSS("#approvals-"+id)),
	)
	if note := text(t, second, "#approvals-"+id); !strings.Contains(note, "source of funds checked") || !strings.Contains(note, "c1@example.com") {
		t.Errorf("the second approver reads %q, want the first's note and name", note)
	}
	if label := text(t, second, "#release-"+id); label != "Approve (2 of 2) and release" {
		t.Errorf("the second approver's button reads %q", label)
	}
	screenshot(t, second, "approvals-second-1440")
	step(t, second, "approve and release",
		chromedp.SendKeys(chromedp.CSS(form+` textarea[name="note"]`), "read the first note; invoice matches"),
		chromedp.Click(chromedp.CSS("#release-"+id)),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
	)
	a.submit()
	if n := a.createsOf("BIG-1"); n != 1 {
		t.Fatalf("the provider was asked %d times to create BIG-1, want once after both approvals", n)
	}
}

// twoApprovalsInIN makes IN live with a launch document that asks two
// compliance approvals, by different people, for INR 5,00,000.00 and above;
// c1@ and c2@example.com are its owners.
func twoApprovalsInIN(t *testing.T, a *app) {
	t.Helper()
	doc := payout.LaunchDoc{Market: "IN", Program: payout.DefaultProgram, Live: true,
		Owners: payout.Owners{PayoutSupport: "c1@example.com", UserRecovery: "c1@example.com",
			BlockedPayouts: "c2@example.com", IncidentResponse: "c2@example.com"},
		TaxArtifactsRequired: new(true),
		Approvals:            []payout.ApprovalRule{{Currency: "INR", AtOrAbove: "500000.00", Approvers: 2}},
		Settlement: payout.Settlement{Rail: payout.RailFiat, PostingWindow: "T+1 business day by 18:00 IST",
			FeeTreatment: "platform bears the fee", CompletedMeans: "provider SUCCEEDED with UTR",
			ExceptionPath: "ops owner contacts the beneficiary within 1 business day"}}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.ApplyMarketDocs(context.Background(), []payout.LaunchDoc{doc},
		store.ApplyOptions{AcceptUnverified: true}, store.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
}
