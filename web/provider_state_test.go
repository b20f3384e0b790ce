package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// A RazorpayX payout waiting for approval inside RazorpayX is labelled so in
// the stuck list (not the provider's fault) and on its page; a queued one
// shows RazorpayX's reason; a payout whose provider says nothing more than
// its status shows nothing more.
func TestProviderStateOnStuckListAndPayoutPage(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	for _, ref := range []string{"RZP-PEND", "RZP-QUEUE", "PLAIN"} {
		a.addPayout(ref, payout.Queued, 3*time.Hour)
	}
	a.store.DB().MustExec(`UPDATE payouts SET provider = 'razorpayx' WHERE reference_id IN ('RZP-PEND', 'RZP-QUEUE')`)
	ctx := context.Background()
	for ref, obs := range map[string]payout.Observation{
		"RZP-PEND":  {RawStatus: "pending", PendingApproval: true},
		"RZP-QUEUE": {RawStatus: "queued", StateReason: "low_balance: Your account balance is low."},
	} {
		obs.Source, obs.Status, obs.ProviderPayoutID = payout.SourceWebhook, payout.Queued, "pout_"+ref
		if _, err := a.store.ApplyObservation(ctx, ref, store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}

	c := a.client()
	c.login("ops@example.com")
	_, page := c.get("/payouts/stuck")
	for _, tt := range []struct{ ref, want string }{
		{"RZP-PEND", "Waiting for approval at RazorpayX, not the provider's fault"},
		{"RZP-QUEUE", "RazorpayX says queued — low_balance: Your account balance is low."},
	} {
		got, ok := textByID(t, page, "provider-state-"+tt.ref)
		if !ok || !strings.Contains(got, tt.want) {
			t.Errorf("stuck row %s says %q, want %q", tt.ref, got, tt.want)
		}
	}
	if _, ok := textByID(t, page, "provider-state-PLAIN"); ok {
		t.Error("a payout whose provider said nothing more shows a provider state")
	}
	if byID(t, page, "payout-RZP-PEND") == nil {
		t.Error("the payout pending approval left the stuck list: it is still stuck, for another reason")
	}

	_, page = c.get("/payouts/RZP-PEND")
	if got, _ := textByID(t, page, "payout-provider-state"); !strings.Contains(got, "pending") {
		t.Errorf("payout page: provider says %q", got)
	}
	if got, _ := textByID(t, page, "payout-waits-for-approval"); !strings.Contains(got, "Re-check only shows whether that has happened yet") {
		t.Errorf("payout page: approval note %q", got)
	}
	_, page = c.get("/payouts/RZP-QUEUE")
	if got, _ := textByID(t, page, "payout-provider-state"); !strings.Contains(got, "queued — low_balance") {
		t.Errorf("payout page: provider says %q", got)
	}
}
