package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"payops/payout"
	"payops/store"
)

// seenField is a hold form's record of what its page showed.
var seenField = regexp.MustCompile(`name="seen" value="([^"]*)"`)

// The second of two approvers decides on what their page showed: a page
// opened before the first approval (its note unread) is refused, naming the
// approver and the note; opened again, it releases.
func TestAnApprovalGivenSinceThePageOpenedIsRead(t *testing.T) {
	a := newApp(t, withLiveProvider())
	apiLive := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	for _, email := range []string{"c1@example.com", "c2@example.com", "c3@example.com"} {
		a.addUser(email, payout.RoleCompliance)
	}
	twoApprovalsInIN(t, a)
	if code, body, _ := a.api("POST", "/api/v1/payouts", apiLive, apiBody("BIG-2", func(m map[string]any) {
		withProvider("nxtbanking")(m)
		m["amount"] = "600000.00"
	})); code != http.StatusAccepted || body["status"] != "HELD" {
		t.Fatalf("BIG-2: %d %v", code, body)
	}
	p, _ := a.store.PayoutByRef(t.Context(), "BIG-2", store.First(true))
	holds, _ := a.store.HoldsFor(t.Context(), p.ID)
	release := "/holds/" + strconv.FormatInt(holds[0].ID, 10) + "/release"
	seenOn := func(c *client) string {
		t.Helper()
		_, page := c.get("/payouts/BIG-2")
		m := seenField.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("the payout page's hold form carries no seen")
		}
		return m[1]
	}

	c3 := a.client()
	c3.login("c3@example.com")
	stale := seenOn(c3)
	c1 := a.client()
	c1.login("c1@example.com")
	if code, body, _ := c1.do("POST", release, url.Values{"note": {"approve ONLY once KYC is refreshed"},
		"seen": {seenOn(c1)}}, nil); code != http.StatusSeeOther {
		t.Fatalf("the first approval: %d %.300s", code, body)
	}
	code, body, _ := c3.do("POST", release, url.Values{"note": {"looks fine to me"}, "seen": {stale}}, nil)
	if code != http.StatusConflict || !strings.Contains(body, "gave approval 1 of 2") || !strings.Contains(body, "KYC is refreshed") {
		t.Fatalf("the second approval on a page opened before the first: %d %s", code, body[strings.Index(body, "<main"):])
	}
	if p, _ = a.store.PayoutByRef(t.Context(), "BIG-2", store.First(true)); p.Status != payout.Held {
		t.Fatalf("a refused approval left BIG-2 %s", p.Status)
	}
	if code, body, _ := c3.do("POST", release, url.Values{"note": {"KYC refreshed yesterday"}, "seen": {seenOn(c3)}}, nil); code != http.StatusSeeOther {
		t.Fatalf("the second approval on the page opened again: %d %.300s", code, body)
	}
	if p, _ = a.store.PayoutByRef(t.Context(), "BIG-2", store.First(true)); p.Status != payout.Queued {
		t.Fatalf("after both approvals BIG-2 is %s, want QUEUED", p.Status)
	}
}
