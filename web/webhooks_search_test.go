package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"payops/adapters/sandbox"
	"payops/payout"
)

// The webhooks page finds a delivery by our reference, the provider's
// payout id, our event id and RazorpayX's X-Razorpay-Event-Id header,
// exactly, and keeps the provider and outcome filters working with it.
func TestWebhooksSearch(t *testing.T) {
	a := newApp(t, withProviders())
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	a.addPayout("WS-1", payout.Processing, time.Hour)
	body, sig := sandboxWebhook("WS-1", "SUCCESS", "UTR1")
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", body, sig); code != 200 {
		t.Fatalf("sandbox delivery: %d", code)
	}
	a.addProviderPayout("razorpayx", "RZ-pout_S1", "pout_S1")
	rzpDelivery := razorpayxSigned(razorpayxBody("pout_S1", "processed", time.Now()), "evt_S1")
	if code, _ := rzpDelivery.post(t, a.srv.URL); code != 200 {
		t.Fatalf("razorpayx delivery: %d", code)
	}
	var sbx, rzp struct{ ID, EventID string }
	for provider, d := range map[string]any{"sandbox": &sbx, "razorpayx": &rzp} {
		err := a.store.DB().Get(d, `SELECT id::text AS id, event_id AS eventid FROM webhook_deliveries
			WHERE provider = $1`, provider)
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each delivery shows its event id, on the page and the payout's timeline.
	_, page := c.get("/webhooks")
	if got, _ := textByID(t, page, "delivery-"+rzp.ID); !strings.Contains(got, rzp.EventID) {
		t.Errorf("the delivery's row %q lacks its event id %q", got, rzp.EventID)
	}
	if _, page := c.get("/payouts/WS-1"); !strings.Contains(page, "event "+sbx.EventID) {
		t.Errorf("WS-1's timeline lacks the event id %q", sbx.EventID)
	}
	found := func(query string) []string {
		t.Helper()
		code, page := c.get("/webhooks?" + query)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", query, code)
		}
		var ids []string
		for _, id := range []string{sbx.ID, rzp.ID} {
			if byID(t, page, "delivery-"+id) != nil {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 && byID(t, page, "webhooks-empty") == nil {
			t.Errorf("%s: neither deliveries nor the empty note", query)
		}
		return ids
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"our reference", "q=WS-1", []string{sbx.ID}},
		{"the provider's payout id", "q=" + sandbox.PayoutIDFor("WS-1"), []string{sbx.ID}},
		{"our event id", "q=" + url.QueryEscape(sbx.EventID), []string{sbx.ID}},
		{"RazorpayX's reference", "q=RZ-pout_S1", []string{rzp.ID}},
		{"RazorpayX's payout id", "q=pout_S1", []string{rzp.ID}},
		{"RazorpayX's event id header", "q=evt_S1", []string{rzp.ID}},
		{"RazorpayX's signed event id", "q=" + url.QueryEscape(rzp.EventID), []string{rzp.ID}},
		{"spaces around it", "q=+evt_S1+", []string{rzp.ID}},
		{"exactly", "q=WS", nil},
		{"with its outcome", "q=WS-1&outcome=applied", []string{sbx.ID}},
		{"with another outcome", "q=WS-1&outcome=rejected", nil},
		{"with its provider", "q=evt_S1&provider=razorpayx", []string{rzp.ID}},
		{"with another provider", "q=evt_S1&provider=sandbox", nil},
		{"no search", "", []string{sbx.ID, rzp.ID}},
	}
	for _, tt := range tests {
		if got := found(tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("%s: found %v, want %v", tt.name, got, tt.want)
		}
	}
	_, page = c.get("/webhooks?q=nothing-like-it")
	if got, _ := textByID(t, page, "webhooks-empty"); !strings.Contains(got, "nothing-like-it") ||
		!strings.Contains(got, "exact") {
		t.Errorf("empty search says %q", got)
	}
	if in := byID(t, page, "webhook-search"); in == nil || attr(in, "value") != "nothing-like-it" {
		t.Error("the search field does not keep the search")
	}
	if code, _ := c.get("/webhooks?q=" + strings.Repeat("x", 201)); code != http.StatusBadRequest {
		t.Errorf("a search of 201 characters: %d, want 400", code)
	}
}

// The Older link keeps the search.
func TestWebhooksSearchPages(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	a.addPayout("WP-1", payout.Processing, time.Hour)
	a.addPayout("WP-2", payout.Processing, time.Hour)
	body, sig := sandboxWebhook("WP-1", "PROCESSING", "")
	for range 52 { // the first applies, the rest are duplicates
		if code, _ := postWebhook(t, a.srv.URL, "sandbox", body, sig); code != 200 {
			t.Fatalf("delivery: %d", code)
		}
	}
	other, otherSig := sandboxWebhook("WP-2", "PROCESSING", "")
	postWebhook(t, a.srv.URL, "sandbox", other, otherSig)
	_, page := c.get("/webhooks?q=WP-1")
	older := byID(t, page, "webhooks-older")
	if older == nil {
		t.Fatal("no Older link after 50 deliveries")
	}
	next, _ := url.Parse(attr(older, "href"))
	if next.Query().Get("q") != "WP-1" {
		t.Errorf("Older link %q loses the search", attr(older, "href"))
	}
	_, page = c.get(next.String())
	rows := textsOf(t, page, "webhooks-table", "mono")
	if !slices.Contains(rows, "WP-1") || slices.Contains(rows, "WP-2") {
		t.Errorf("older page of the search: %v", rows)
	}
}
