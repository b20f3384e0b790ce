package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"payops/payout"
	"payops/store"
)

// phLive is a complete PH document asking to be live, owned by the test's
// admins.
func phLive(t *testing.T) string {
	t.Helper()
	d := payout.LaunchDoc{Market: "PH", Program: payout.DefaultProgram, Live: true,
		Owners: payout.Owners{PayoutSupport: "a1@example.com", UserRecovery: "a1@example.com",
			BlockedPayouts: "a2@example.com", IncidentResponse: "a2@example.com"},
		TaxArtifactsRequired: new(true),
		Settlement: payout.Settlement{Rail: payout.RailFiat, PostingWindow: "T+1 by 17:00 PHT", FeeTreatment: "platform",
			CompletedMeans: "provider SUCCEEDED", ExceptionPath: "support calls the beneficiary"}}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMarketPagesFollowThePermissionTable(t *testing.T) {
	a := newApp(t)
	for _, r := range payout.Roles {
		a.addUser(string(r)+"@example.com", r)
	}
	for _, r := range payout.Roles {
		c := a.client()
		c.login(string(r) + "@example.com")
		for _, path := range []string{"/markets", "/markets/IN", "/markets/PH"} {
			code, _ := c.get(path)
			want := http.StatusOK
			if !r.Can(payout.ActReadMarkets) {
				want = http.StatusForbidden
			}
			if code != want {
				t.Errorf("%s GET %s: %d, want %d", r, path, code, want)
			}
		}
	}
	// A payout to VN, which has no launch document: held, and VN is listed.
	req := payout.Request{ReferenceID: "VN-1", Provider: "razorpayx", AmountMinor: 50000, Currency: "INR", Mode: "IMPS",
		Market: "VN", Metadata: []byte(`{}`), Beneficiary: payout.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012",
			IFSC: "HDFC0001234", TaxArtifact: payout.TaxPresent}}
	if _, err := a.store.Intake(context.Background(), req, payout.Policy{}, store.Actor{Name: "api:test"}); err != nil {
		t.Fatal(err)
	}
	c := a.client()
	c.login("admin@example.com")
	_, page := c.get("/markets")
	if state, _ := textByID(t, page, "market-IN-default"); !strings.Contains(state, "Live") {
		t.Errorf("IN row %q, want Live", state)
	}
	if row, _ := textByID(t, page, "market-VN-default"); !strings.Contains(row, "Read-only: no launch document") {
		t.Errorf("VN row %q, want it listed read-only without a document", row)
	}
	if held := byID(t, page, "held-VN"); held == nil || textOf(held) != "1" || !strings.Contains(attr(held, "href"), "market=VN") {
		t.Errorf("VN's held payouts: %v, want 1 linking to its payouts", held)
	}
	// A program without a document of its own follows the default one's.
	_, page = c.get("/markets/IN?program=lenders")
	if state, _ := textByID(t, page, "market-state"); !strings.Contains(state, "follow IN/default, live by version") {
		t.Errorf("IN/lenders state %q, want it to follow IN/default, live", state)
	}
	_, page = c.get("/markets/PH")
	if state, _ := textByID(t, page, "market-state"); !strings.Contains(state, "no launch document") {
		t.Errorf("PH state %q, want read-only without a document", state)
	}
	if byID(t, page, "propose-form") == nil {
		t.Errorf("an admin sees no propose form")
	}
	ops := a.client()
	ops.login("ops@example.com")
	if _, page := ops.get("/markets/PH"); byID(t, page, "propose-form") != nil {
		t.Errorf("ops sees the propose form")
	}
	if code, _, _ := ops.do("POST", "/markets/PH/propose", url.Values{"document": {phLive(t)}, "reason": {"x"}}, nil); code != http.StatusForbidden {
		t.Errorf("ops proposing: %d, want 403", code)
	}
}

func TestGoingLiveOnThePagesTakesTwoAdmins(t *testing.T) {
	a := newApp(t, withLiveProvider()) // no background worker: the test says when the submitter runs
	apiLive := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	a.addUser("a1@example.com", payout.RoleAdmin)
	a.addUser("a2@example.com", payout.RoleAdmin)
	a1, a2 := a.client(), a.client()
	a1.login("a1@example.com")
	a2.login("a2@example.com")

	// A document naming an unknown owner: 422, the field named, the draft kept.
	bad := strings.Replace(phLive(t), "a2@example.com", "nobody@example.com", 1)
	code, page, _ := a1.do("POST", "/markets/PH/propose", url.Values{"document": {bad}, "reason": {"launch"}}, nil)
	if msg, _ := textByID(t, page, "market-error"); code != http.StatusUnprocessableEntity ||
		!strings.Contains(msg, "owners.blocked_payouts") {
		t.Fatalf("bad proposal: %d %q, want 422 naming owners.blocked_payouts", code, msg)
	}
	if draft, _ := textByID(t, page, "document-draft"); !strings.Contains(draft, "nobody@example.com") {
		t.Errorf("the draft was not kept: %q", draft)
	}

	code, _, h := a1.do("POST", "/markets/PH/propose", url.Values{"document": {phLive(t)}, "reason": {"board approved PH"}}, nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/markets/PH?done=proposed") {
		t.Fatalf("propose: %d %s", code, h.Get("Location"))
	}
	_, page = a1.get("/markets/PH")
	if why, _ := textByID(t, page, "approve-why-not"); !strings.Contains(why, "another admin") {
		t.Errorf("the proposer is not told why they may not approve: %q", why)
	}
	p, err := a.store.OpenMarketProposal(context.Background(), "PH", payout.DefaultProgram)
	if err != nil {
		t.Fatal(err)
	}
	approve := url.Values{"proposal": {strconv.FormatInt(p.ID, 10)}, "reason": {"owners checked"}, "accept_unverified": {"1"}}
	if code, _, _ := a1.do("POST", "/markets/PH/approve", approve, nil); code != http.StatusForbidden {
		t.Errorf("the proposer approving: %d, want 403 (four-eyes)", code)
	}
	if code, body, _ := a.api("POST", "/api/v1/payouts", apiLive, apiBody("PH-1", func(m map[string]any) { m["market"], m["provider"] = "PH", "nxtbanking" })); code != http.StatusAccepted ||
		body["status"] != "HELD" {
		t.Fatalf("payout before approval: %d %v, want HELD", code, body)
	}
	_, page = a2.get("/markets/PH")
	if byID(t, page, "approve-form") == nil {
		t.Fatalf("the second admin sees no approve form")
	}
	if got, _ := textByID(t, page, "market-held"); !strings.Contains(got, "1 payout is held until PH goes live") {
		t.Errorf("read-only, the held payout: %q", got)
	}
	// Without the box, a checklist not all shown refuses the approval in
	// the page's words (409), naming the box, not the command line's flag.
	unticked := url.Values{"proposal": approve["proposal"], "reason": approve["reason"]}
	if code, body, _ := a2.do("POST", "/markets/PH/approve", unticked, nil); code != http.StatusConflict ||
		!strings.Contains(body, "Go live even if the checklist is not all shown") || strings.Contains(body, "--accept") {
		t.Fatalf("approve without the box: %d %.400s", code, body)
	}
	if code, _, h := a2.do("POST", "/markets/PH/approve", approve, nil); code != http.StatusSeeOther ||
		!strings.Contains(h.Get("Location"), "done=approved") {
		t.Fatalf("approve: %d %s", code, h.Get("Location"))
	}
	if code, body, _ := a.api("POST", "/api/v1/payouts", apiLive, apiBody("PH-2", func(m map[string]any) { m["market"], m["provider"] = "PH", "nxtbanking" })); code != http.StatusAccepted ||
		body["status"] != "QUEUED" {
		t.Fatalf("payout after approval: %d %v, want QUEUED", code, body)
	}
	_, page = a2.get("/markets/PH")
	if got, _ := textByID(t, page, "market-held"); !strings.Contains(got, "1 payout is held from when PH was read-only: it is live now") {
		t.Errorf("live, the payout still held: %q", got)
	}
	if v, _ := textByID(t, page, "version-1"); !strings.Contains(v, "a2@example.com") || !strings.Contains(v, "board approved PH") {
		t.Errorf("history row %q, want the approver and the proposal's reason", v)
	}

	// One admin puts it back to read-only at once; the next payout is held.
	if code, _, _ := a1.do("POST", "/markets/PH/read-only", url.Values{"reason": {""}}, nil); code != http.StatusBadRequest {
		t.Errorf("read-only without a reason: %d, want 400", code)
	}
	code, _, h = a1.do("POST", "/markets/PH/read-only", url.Values{"reason": {"provider incident"}}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("read-only: %d", code)
	}
	_, page = a1.get(h.Get("Location"))
	if n, _ := textByID(t, page, "market-notice"); !strings.Contains(n, "PH/default is read-only now") {
		t.Errorf("notice %q, want it to name PH/default", n)
	}
	// Pressed again (a second admin at the same moment): refused, not a 500.
	if code, _, _ := a2.do("POST", "/markets/PH/read-only", url.Values{"reason": {"provider incident"}}, nil); code != http.StatusConflict {
		t.Errorf("read-only again: %d, want 409", code)
	}
	if code, body, _ := a.api("POST", "/api/v1/payouts", apiLive, apiBody("PH-3", func(m map[string]any) { m["market"], m["provider"] = "PH", "nxtbanking" })); code != http.StatusAccepted ||
		body["status"] != "HELD" {
		t.Fatalf("payout after read-only: %d %v, want HELD", code, body)
	}
	// The queued one is held before it is sent.
	a.submit()
	pay, err := a.store.PayoutByRef(context.Background(), "PH-2", store.First(true))
	if err != nil || pay.Status != payout.Held {
		t.Fatalf("queued payout after read-only: %v %v, want HELD", pay.Status, err)
	}
	entries, err := a.store.AuditFor(context.Background(), "market", "PH/default")
	if err != nil || len(entries) < 3 {
		t.Errorf("audit of PH: %d entries (%v), want propose, approve (apply) and read-only", len(entries), err)
	}
}

// A proposal that will not be approved is withdrawn with a reason, which
// frees the market for the next; one outdated by a stop is superseded at
// once; a proposal id posted to another market's page names nothing there;
// a document over the cap is 413.
func TestAProposalIsWithdrawnOrSuperseded(t *testing.T) {
	a := newApp(t)
	a.addUser("a1@example.com", payout.RoleAdmin)
	a.addUser("a2@example.com", payout.RoleAdmin)
	a1, a2 := a.client(), a.client()
	a1.login("a1@example.com")
	a2.login("a2@example.com")
	ctx := context.Background()
	if code, _, _ := a1.do("POST", "/markets/PH/propose", url.Values{"document": {phLive(t)}, "reason": {"board approved PH"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("propose: %d", code)
	}
	p, err := a.store.OpenMarketProposal(ctx, "PH", payout.DefaultProgram)
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(p.ID, 10)
	if code, _, _ := a2.do("POST", "/markets/IN/approve", url.Values{"proposal": {id}, "reason": {"ok"}}, nil); code != http.StatusConflict {
		t.Errorf("approving PH's proposal on IN's page: %d, want 409", code)
	}
	_, page := a1.get("/markets/PH")
	if byID(t, page, "withdraw-form") == nil {
		t.Fatal("no withdraw form under the open proposal")
	}
	if code, _, _ := a1.do("POST", "/markets/PH/withdraw", url.Values{"proposal": {id}, "reason": {""}}, nil); code != http.StatusBadRequest {
		t.Errorf("withdraw without a reason: %d, want 400", code)
	}
	code, _, h := a1.do("POST", "/markets/PH/withdraw", url.Values{"proposal": {id}, "reason": {"owner leaves the company"}}, nil)
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=withdrawn") {
		t.Fatalf("withdraw: %d %s", code, h.Get("Location"))
	}
	_, page = a1.get("/markets/PH")
	if byID(t, page, "open-proposal") != nil || byID(t, page, "propose-form") == nil {
		t.Error("after withdrawing, the proposal still shows, or the propose form does not")
	}
	if entries, err := a.store.AuditFor(ctx, "market", "PH/default"); err != nil ||
		!slices.ContainsFunc(entries, func(e store.AuditEntry) bool { return e.Action == "market.withdraw" }) {
		t.Errorf("no market.withdraw in the audit log: %v", err)
	}

	// IN is live; a change proposed to it is outdated by a stop.
	doc := strings.ReplaceAll(strings.ReplaceAll(phLive(t), `"PH"`, `"IN"`), "PHT", "IST")
	if code, _, _ := a1.do("POST", "/markets/IN/propose", url.Values{"document": {doc}, "reason": {"owners change"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("propose for IN: %d", code)
	}
	if code, _, _ := a2.do("POST", "/markets/IN/read-only", url.Values{"reason": {"provider incident"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("read-only: %d", code)
	}
	if _, err := a.store.OpenMarketProposal(ctx, "IN", payout.DefaultProgram); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the proposal outdated by the stop is still open: %v", err)
	}

	big := url.Values{"document": {strings.Repeat(" ", 300<<10) + phLive(t)}, "reason": {"x"}}
	if code, _, _ := a1.do("POST", "/markets/PH/propose", big, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a document over the cap: %d, want 413", code)
	}
}
