package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"payops/payout"
	"payops/store"
)

// A bulk action on a filtered holds list answers with the same filter (its
// first page) and, for HTMX, the heading's counts out of band; a filter not
// of the page's making is dropped after the action, which is done anyway.
func TestHoldsBulkKeepsTheFilterAndCounts(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("compliance@example.com", payout.RoleCompliance)
	big1 := a.heldPayout("BF-BIG-1", bigAmount)
	a.heldPayout("BF-BIG-2", bigAmount)
	a.heldPayout("BF-TAX-1", expiredTax)
	tax2 := a.heldPayout("BF-TAX-2", expiredTax)
	c := a.client()
	c.login("compliance@example.com")
	c.viewTestData() // the API's sandbox payouts are test payouts

	_, page := c.get("/holds?reason=review_threshold")
	field := find(byID(t, page, "bulk"), func(n *html.Node) bool { return attr(n, "name") == "filter" })
	filter := attr(field, "value")
	if filter != "reason=review_threshold" {
		t.Fatalf("the bulk form keeps the filter as %q", filter)
	}
	// Reassign with no owner chosen (the bar's "Choose…"): one 400, no hold
	// touched.
	form := url.Values{"action": {"reassign"}, "hold": {big1}, "note": {"Seller offboarded"}, "owner": {""}}
	if code, body, _ := c.do("POST", "/holds/bulk", form, nil); code != http.StatusBadRequest ||
		!strings.Contains(body, "Pick the user to give the holds to") || a.holdState(big1) != "open" {
		t.Errorf("bulk reassign to nobody: %d, hold %s", code, a.holdState(big1))
	}
	form = a.withSeen(url.Values{"action": {"reject"}, "hold": {big1}, "note": {"Seller offboarded"}, "filter": {filter}}, big1)
	code, frag, _ := c.do("POST", "/holds/bulk", form, map[string]string{"HX-Request": "true"})
	if code != http.StatusOK {
		t.Fatalf("bulk reject: %d %s", code, frag)
	}
	if got := refsOf(t, frag); strings.Join(got, " ") != "BF-BIG-2" {
		t.Errorf("after the action the list shows %v, want the other review hold only", got)
	}
	counts := byID(t, frag, "holds-counts")
	if counts == nil || attr(counts, "hx-swap-oob") != "true" {
		t.Fatal("the fragment has no out-of-band counts")
	}
	if got, _ := textByID(t, frag, "holds-count"); got != "1" {
		t.Errorf("the heading counts %q holds for the filter, want 1", got)
	}

	// Without JavaScript: the whole page, its filter chosen.
	form = a.withSeen(url.Values{"action": {"reject"}, "hold": {tax2}, "note": {"Seller offboarded"}, "filter": {"reason=nope"}}, tax2)
	code, page, _ = c.do("POST", "/holds/bulk", form, nil)
	if code != http.StatusOK || a.holdState(tax2) != "rejected" {
		t.Fatalf("bulk reject with a bad filter: %d, hold %s", code, a.holdState(tax2))
	}
	if got := refsOf(t, page); strings.Join(got, " ") != "BF-BIG-2 BF-TAX-1" {
		t.Errorf("after a bad filter the list shows %v, want every open hold", got)
	}
}

// refsOf returns the references of the holds list's rows in page.
func refsOf(t *testing.T, page string) []string {
	t.Helper()
	table := byID(t, page, "holds-table")
	if table == nil {
		return nil
	}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" && hasClass(n, "mono") {
			out = append(out, textOf(n))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(table)
	return out
}

// An approval rule without "bulk" keeps its holds out of the bulk action:
// each such hold is left unchanged, saying the approval is given on the
// payout's page, while the others in the same action are released.
func TestBulkReleaseLeavesHoldsUnderAnApprovalRuleWithoutBulk(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("compliance@example.com", payout.RoleCompliance)
	a.addUser("owner@example.com", payout.RoleAdmin)
	doc := payout.LaunchDoc{Market: "IN", Live: true, Owners: payout.Owners{PayoutSupport: "owner@example.com",
		UserRecovery: "owner@example.com", BlockedPayouts: "owner@example.com", IncidentResponse: "owner@example.com"},
		TaxArtifactsRequired: new(true),
		Approvals:            []payout.ApprovalRule{{Currency: "INR", AtOrAbove: "300000.00", Approvers: 2}},
		Settlement: payout.Settlement{Rail: payout.RailFiat, PostingWindow: "T+1", FeeTreatment: "platform",
			CompletedMeans: "SUCCEEDED", ExceptionPath: "ops calls"}}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.ApplyMarketDocs(context.Background(), []payout.LaunchDoc{doc},
		store.ApplyOptions{AcceptUnverified: true}, store.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	big := a.heldPayout("BA-BIG-1", func(m map[string]any) { m["amount"] = "350000.00" })
	small := a.heldPayout("BA-SMALL-1", bigAmount)
	c := a.client()
	c.login("compliance@example.com")
	c.viewTestData()
	form := a.withSeen(url.Values{"action": {"release"}, "hold": {big, small}, "note": {"Morning review done"}}, big, small)
	code, page, _ := c.do("POST", "/holds/bulk", form, nil)
	if code != http.StatusOK {
		t.Fatalf("bulk release: %d %s", code, page)
	}
	results, _ := textByID(t, page, "bulk-results")
	if !strings.Contains(results, "BA-BIG-1 not changed") || !strings.Contains(results, "payout's page") {
		t.Errorf("the results read %q, want BA-BIG-1 left for the payout's page", results)
	}
	if a.holdState(big) != "open" || a.holdState(small) != "released" {
		t.Errorf("holds after the bulk release: big %s, small %s; want open and released", a.holdState(big), a.holdState(small))
	}
}

// The queue's bulk Release or Reject is decided on what the queue showed:
// a hold that gained evidence since the page loaded ("sanctions hit, do not
// release") is left unchanged, saying so, while the others are released.
func TestBulkReleaseRefusesAHoldWithEvidenceAddedSinceThePage(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("compliance@example.com", payout.RoleCompliance)
	a.addUser("analyst@example.com", payout.RoleCompliance)
	warned := a.heldPayout("BE-WARNED", bigAmount)
	quiet := a.heldPayout("BE-QUIET", bigAmount)
	c := a.client()
	c.login("compliance@example.com")
	c.viewTestData()
	_, page := c.get("/holds")
	form := url.Values{"action": {"release"}, "hold": {warned, quiet}, "note": {"Morning review done"}}
	for _, id := range []string{warned, quiet} {
		seen := find(byID(t, page, "bulk"), func(n *html.Node) bool { return attr(n, "name") == "seen-"+id })
		if seen == nil {
			t.Fatalf("the queue's row for hold %s carries no evidence it showed", id)
		}
		form.Set("seen-"+id, attr(seen, "value"))
	}
	id, _ := strconv.ParseInt(warned, 10, 64)
	if _, err := a.store.AddEvidence(context.Background(), id, store.Actor{Name: "analyst@example.com"},
		"Sanctions hit on the beneficiary: do not release", "", ""); err != nil {
		t.Fatal(err)
	}
	code, out, _ := c.do("POST", "/holds/bulk", form, nil)
	if code != http.StatusOK {
		t.Fatalf("bulk release: %d %s", code, out)
	}
	if results, _ := textByID(t, out, "bulk-results"); !strings.Contains(results, "BE-WARNED not changed") {
		t.Errorf("the results read %q, want BE-WARNED left unchanged for its new evidence", results)
	}
	if a.holdState(warned) != "open" || a.holdState(quiet) != "released" {
		t.Errorf("holds after the bulk release: warned %s, quiet %s; want open and released", a.holdState(warned), a.holdState(quiet))
	}
}
