package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"payops/payout"
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
	form := url.Values{"action": {"reject"}, "hold": {big1}, "note": {"Seller offboarded"}, "filter": {filter}}
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
	form = url.Values{"action": {"reject"}, "hold": {tax2}, "note": {"Seller offboarded"}, "filter": {"reason=nope"}}
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
