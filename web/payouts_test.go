package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"payops/payout"
	"payops/store"
)

// refsOn returns the references of the payouts list's rows on page.
func refsOn(t *testing.T, page string) []string {
	t.Helper()
	n := byID(t, page, "payouts-table")
	if n == nil {
		return nil
	}
	var out []string
	for row := range n.Descendants() {
		if row.Type == html.ElementNode && hasClass(row, "payout-row") {
			out = append(out, strings.TrimPrefix(attr(row, "id"), "payout-"))
		}
	}
	return out
}

func TestPayoutsListFiltersAndPages(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	for i, st := range []payout.Status{payout.Succeeded, payout.Failed, payout.Failed, payout.Processing, payout.Succeeded} {
		a.addPayout("L-"+string(rune('1'+i)), st, time.Duration(5-i)*time.Hour)
	}
	a.store.DB().MustExec(`UPDATE payouts SET created_at = updated_at, utr = 'UTR-' || reference_id`)
	c := a.client()
	c.login("ops@example.com")
	_, page := c.get("/payouts")
	if got, _ := textByID(t, page, "dates-zone"); !strings.Contains(got, "business days in UTC") {
		t.Error("the date filters do not say which days they mean")
	}

	tests := []struct {
		query string
		want  []string
		count string
	}{
		{"", []string{"L-5", "L-4", "L-3", "L-2", "L-1"}, "5 payouts"},
		{"status=FAILED", []string{"L-3", "L-2"}, "2 payouts"},
		{"status=FAILED&status=SUCCEEDED&sort=updated", []string{"L-5", "L-3", "L-2", "L-1"}, "4 payouts"},
		{"provider=xendit", nil, "0 payouts"},
		{"q=UTR-L-2&status=FAILED", []string{"L-2"}, "1 payout"}, // a search with filters lists, never jumps
		{"stuck=1", []string{"L-4"}, "1 payout"},
	}
	for _, tt := range tests {
		code, page := c.get("/payouts?" + tt.query)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", tt.query, code)
		}
		if got := refsOn(t, page); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.query, got, tt.want)
		}
		if got, _ := textByID(t, page, "payouts-count"); got != tt.count {
			t.Errorf("%s: count %q, want %q", tt.query, got, tt.count)
		}
	}
	if _, page := c.get("/payouts?provider=xendit"); !strings.Contains(mustText(t, page, "payouts-empty"), "Clear them") {
		t.Error("an empty filtered list does not say what to do")
	}

	// Keyset pages: 50 a page, Older follows on.
	for i := range 55 {
		a.addPayout(fmt.Sprintf("P-%03d", i), payout.Queued, time.Minute)
	}
	_, page = c.get("/payouts?status=QUEUED")
	first := refsOn(t, page)
	next := attr(byID(t, page, "pager").FirstChild, "href")
	if len(first) != 50 || !strings.Contains(next, "after=") {
		t.Fatalf("first page: %d rows, next %q", len(first), next)
	}
	_, page = c.get(html.UnescapeString(next))
	second := refsOn(t, page)
	if len(second) != 5 || slices.ContainsFunc(second, func(r string) bool { return slices.Contains(first, r) }) {
		t.Fatalf("second page: %v overlaps or is short", second)
	}
}

func mustText(t *testing.T, page, id string) string {
	t.Helper()
	s, ok := textByID(t, page, id)
	if !ok {
		t.Fatalf("no #%s", id)
	}
	return s
}

// Pasting any identifier finds the payout: one goes straight to it, the
// address bar takes a UTR or provider payout id too, several list.
func TestSearchGoesStraightToOnePayout(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("S-1", payout.Succeeded, time.Hour)
	a.addPayout("S-2", payout.Succeeded, time.Hour)
	a.store.DB().MustExec(`UPDATE payouts SET utr = 'UTR-' || reference_id`)
	c := a.client()
	c.login("ops@example.com")
	ppid := func(ref string) string {
		p, err := a.store.PayoutByRef(context.Background(), ref, store.First(true))
		if err != nil {
			t.Fatal(err)
		}
		return p.ProviderID()
	}
	// The reference and the UTR typed in lower case (read out over the
	// phone), the list
	// form's own submission (it always sends its sort), the webhook-id of
	// an event sent to the platform.
	var msgID string
	if err := a.store.DB().Get(&msgID, `INSERT INTO outbound_events (type, payout_id)
		SELECT 'payout.succeeded', id FROM payouts WHERE reference_id = 'S-1' RETURNING webhook_id`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"S-1", "s-1", "UTR-S-1", ppid("S-1"), "utr-s-1", "S-1&sort=created", msgID} {
		code, _, h := c.do("GET", "/payouts?q="+strings.Replace(url.QueryEscape(q), "%26sort%3D", "&sort=", 1), nil, nil)
		if code != http.StatusSeeOther || h.Get("Location") != "/payouts/S-1" {
			t.Errorf("search %s: %d to %q, want 303 to /payouts/S-1", q, code, h.Get("Location"))
		}
	}
	for _, x := range []string{"UTR-S-2", ppid("S-2")} {
		code, _, h := c.do("GET", "/payouts/"+x, nil, nil)
		if code != http.StatusSeeOther || h.Get("Location") != "/payouts/S-2" {
			t.Errorf("/payouts/%s: %d to %q, want 303 to /payouts/S-2", x, code, h.Get("Location"))
		}
	}
	// A live payout's UTR pasted while the test view is on still opens it.
	c.viewTestData()
	if code, _, h := c.do("GET", "/payouts/UTR-S-2", nil, nil); code != http.StatusSeeOther || h.Get("Location") != "/payouts/S-2" {
		t.Errorf("/payouts/UTR-S-2 in the test view: %d to %q, want 303 to /payouts/S-2", code, h.Get("Location"))
	}
	c.do("POST", "/test-data", url.Values{"on": {"0"}, "next": {"/"}}, nil)
	if code, _, h := c.do("GET", "/payouts/%20S-2%20", nil, nil); code != http.StatusOK && h.Get("Location") != "/payouts/S-2" {
		t.Errorf("/payouts/ S-2 (spaces pasted with it): %d", code)
	}
	// A filter's value that is not one: refused, not read as on (stuck=0)
	// or ignored (hold=true exported every payout).
	for _, q := range []string{"stuck=0", "stuck=true", "hold=true", "hold=1"} {
		if code, _ := c.get("/payouts?" + q); code != http.StatusUnprocessableEntity {
			t.Errorf("/payouts?%s: %d, want 422", q, code)
		}
		if code, _ := c.get("/payouts.csv?" + q); code != http.StatusBadRequest {
			t.Errorf("/payouts.csv?%s: %d, want 400", q, code)
		}
	}
	if code, _ := c.get("/payouts/NOTHING-LIKE-IT"); code != http.StatusNotFound {
		t.Errorf("an unknown reference: %d, want 404", code)
	}
	// Both are Asha Rao's: a name lists them.
	code, page := c.get("/payouts?q=asha")
	if code != http.StatusOK || len(refsOn(t, page)) != 2 {
		t.Errorf("a name matching two: %d %v", code, refsOn(t, page))
	}
	code, page = c.get("/payouts?q=zz-none")
	if code != http.StatusOK || !strings.Contains(mustText(t, page, "payouts-empty"), "a UTR") {
		t.Errorf("no match: %d, the page does not suggest what to try", code)
	}
}

// The list filters on the day a payout was sent (the reconciliation's link
// to a day's payouts), and shows that filter only when it is given.
func TestPayoutsListBySentDay(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	a.addPayout("SENT-20", payout.Succeeded, 72*time.Hour)
	a.addPayout("SENT-21", payout.Succeeded, 72*time.Hour)
	a.store.DB().MustExec(`UPDATE payouts SET submitted_at = '2026-11-20 10:00Z' WHERE reference_id = 'SENT-20'`)
	a.store.DB().MustExec(`UPDATE payouts SET submitted_at = '2026-11-21 10:00Z' WHERE reference_id = 'SENT-21'`)
	c := a.client()
	c.login("finance@example.com")
	code, page := c.get("/payouts?sent_from=2026-11-20&sent_to=2026-11-20")
	if refs := refsOn(t, page); code != http.StatusOK || len(refs) != 1 || refs[0] != "SENT-20" {
		t.Errorf("sent on the 20th: %d %v, want SENT-20", code, refs)
	}
	if !strings.Contains(page, `name="sent_from" value="2026-11-20"`) {
		t.Error("the sent-day filter is not in the form")
	}
	if _, page := c.get("/payouts"); strings.Contains(page, `name="sent_from"`) {
		t.Error("the sent-day filter shows without being given")
	}
	if code, _ := c.get("/payouts?sent_from=2026-11-21&sent_to=2026-11-20"); code != http.StatusUnprocessableEntity {
		t.Errorf("a sent range ending before it starts: %d, want 422", code)
	}
}

// Bad filters are refused with the form and a message per filter, and
// nothing the user typed comes back unescaped.
func TestPayoutsListRefusesBadFilters(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	evil := `<script>alert(1)</script>`
	for _, q := range []string{"status=" + url.QueryEscape(evil), "provider=paypal", "created_from=yesterday",
		"created_from=2026-05-02&created_to=2026-05-01", "amount_min=" + url.QueryEscape(evil), "sort=random",
		"after=not-a-cursor", "after=zzzzzzzzzzzz.1", "market=India", "currency=XXX", url.QueryEscape(evil) + "=1"} {
		code, page := c.get("/payouts?" + q)
		if code != http.StatusUnprocessableEntity || byID(t, page, "filter-errors") == nil {
			t.Errorf("%s: %d, want 422 with the errors shown", q, code)
		}
		if strings.Contains(page, evil) {
			t.Errorf("%s: the page echoes the input unescaped", q)
		}
	}
	// Each message names the filter as the form labels it.
	_, page := c.get("/payouts?created_from=2026-05-02&created_to=2026-05-01")
	if got := textOf(byID(t, page, "filter-errors")); got != "Created to: must not be before the date it starts from" {
		t.Errorf("the range's message: %q", got)
	}
	for q, want := range map[string]string{"amount_min=10&amount_max=lots": "Amount to: amounts are decimals such as 1250.00",
		"amount_min=500&amount_max=100": "Amount to: must not be less than the amount it starts from",
		"amount_min=lots":               "Amount from: amounts are decimals such as 1250.00"} {
		if _, page := c.get("/payouts?" + q); textOf(byID(t, page, "filter-errors")) != want {
			t.Errorf("%s: %q, want %q", q, textOf(byID(t, page, "filter-errors")), want)
		}
	}
	if code, _ := c.get("/payouts.csv?status=NOPE"); code != http.StatusBadRequest {
		t.Errorf("CSV with a bad filter: %d, want 400", code)
	}
}

// The export: the list's filters, every trace field, formula-safe cells.
func TestPayoutsCSV(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	a.addPayout("X-1", payout.Failed, time.Hour)
	a.addPayout("X-2", payout.Succeeded, time.Hour)
	a.store.DB().MustExec(`UPDATE payouts SET utr = '=HYPERLINK("http://evil")', failure_code = 'IFSC_INVALID',
		failure_reason = 'bank says, "no"' WHERE reference_id = 'X-1'`)
	c := a.client()
	c.login("finance@example.com")
	code, body, h := c.do("GET", "/payouts.csv?status=FAILED", nil, nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") ||
		!strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", code, h)
	}
	if !strings.Contains(h.Get("Content-Disposition"), `filename="payouts-2`) {
		t.Errorf("the live export is named %q, want payouts-<time>.csv", h.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("export rows: %v %v\n%s", len(rows), err, body)
	}
	// The test view's export is named as test payouts.
	test := a.client()
	test.login("finance@example.com")
	test.viewTestData()
	if _, _, h := test.do("GET", "/payouts.csv", nil, nil); !strings.Contains(h.Get("Content-Disposition"), `filename="payouts-test-`) {
		t.Errorf("the test view's export is named %q, want payouts-test-<time>.csv", h.Get("Content-Disposition"))
	}
	got := map[string]string{}
	for i, k := range rows[0] {
		got[k] = rows[1][i]
	}
	p, _ := a.store.PayoutByRef(context.Background(), "X-1", store.First(true))
	want := map[string]string{"reference_id": "X-1", "provider": "sandbox", "provider_payout_id": p.ProviderID(), "status": "FAILED",
		"amount": "1250.50", "currency": "INR", "utr": `'=HYPERLINK("http://evil")`, "failure_code": "IFSC_INVALID",
		"failure_reason": `bank says, "no"`, "market": "IN"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, k := range []string{"created_at", "settled_at"} {
		if _, err := time.Parse(time.RFC3339, got[k]); err != nil {
			t.Errorf("%s = %q, not RFC 3339", k, got[k])
		}
	}
}

// A search that finds nothing says where else to look: the payout it names
// is a test payout (identifiers are looked up in the mode shown), or the
// webhook history an event id is in was archived.
func TestAnEmptySearchSaysWhereElseToLook(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("LIVE-1", payout.Succeeded, time.Hour)
	a.store.DB().MustExec(`UPDATE payouts SET livemode = false, utr = 'UTRTEST1' WHERE reference_id = 'LIVE-1'`)
	a.store.DB().MustExec(`INSERT INTO history_archives (table_name, month, file, sha256, rows, bytes)
		VALUES ('webhook_deliveries', '2026-03-01', '/archive/webhook_deliveries-2026-03.jsonl.zst', repeat('a', 64), 10, 100)`)
	c := a.client()
	c.login("ops@example.com")
	code, page := c.get("/payouts?q=UTRTEST1")
	if code != http.StatusOK {
		t.Fatalf("%d", code)
	}
	if hint, _ := textByID(t, page, "other-mode"); !strings.Contains(hint, "test payout, LIVE-1") {
		t.Errorf("other-mode hint %q, want it to name the test payout", hint)
	}
	if hint, _ := textByID(t, page, "search-archived"); !strings.Contains(hint, "before April 2026 are archived") {
		t.Errorf("archive hint %q", hint)
	}
	admin := a.client()
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin.login("admin@example.com")
	if _, page := admin.get("/webhooks?q=evt_from_march"); !strings.Contains(mustText(t, page, "webhooks-archived"), "before April 2026") {
		t.Error("the webhooks page's empty search does not say deliveries are archived")
	}
}

// The drill report links its payouts by provider; in the live view the empty
// list says they are test payouts and how to see them.
func TestTheDrillProvidersListPointsToTheTestView(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	code, page := c.get("/payouts?provider=" + payout.DrillProvider)
	if got, _ := textByID(t, page, "other-mode"); code != http.StatusOK || !strings.Contains(got, "press Test in the header") {
		t.Errorf("/payouts?provider=drill in the live view: %d, hint %q", code, got)
	}
	c.viewTestData()
	if _, page := c.get("/payouts?provider=" + payout.DrillProvider); byID(t, page, "other-mode") != nil {
		t.Error("the test view still says to press Test")
	}
}
