package razorpayx_test

import (
	"testing"

	"payops/payout"
)

// RazorpayX states amounts as integer paise (seed 003's entity), and keeps
// a payout waiting for approval (payout.pending) or queued with its reason
// (status_details) as its own sub-state.
func TestWebhookAmountAndSubState(t *testing.T) {
	c := client("http://unused")
	entity := func(status, amount, details string) string {
		return `{"entity":"event","event":"payout.` + status + `","payload":{"payout":{"entity":{"id":"pout_1","amount":` +
			amount + `,"currency":"INR","status":"` + status + `","reference_id":"R1","created_at":1755693656` + details +
			`}}},"created_at":1755693679}`
	}
	lowBalance := `,"status_details":{"reason":"low_balance","description":"Your account balance is low.","source":"business"}`
	tests := []struct {
		name    string
		body    string
		want    *payout.Money
		status  payout.Status
		pending bool
		reason  string
	}{
		{"processed, paise", entity("processed", "100", ""), &payout.Money{Minor: 100, Currency: "INR"}, payout.Succeeded, false, ""},
		{"large", entity("processed", "9007199254740993", ""), &payout.Money{Minor: 9007199254740993, Currency: "INR"}, payout.Succeeded, false, ""},
		{"none stated", entity("processed", "0", ""), nil, payout.Succeeded, false, ""},
		{"pending approval", entity("pending", "125050", ""), &payout.Money{Minor: 125050, Currency: "INR"}, payout.Queued, true, ""},
		{"queued with its reason", entity("queued", "125050", lowBalance), &payout.Money{Minor: 125050, Currency: "INR"},
			payout.Queued, false, "low_balance: Your account balance is low."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := c.Webhook(signed("whsec_new", tt.body), []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			o := ev.Observation
			if (o.Amount == nil) != (tt.want == nil) || (o.Amount != nil && *o.Amount != *tt.want) {
				t.Errorf("amount = %v, want %v", o.Amount, tt.want)
			}
			if o.Status != tt.status || o.PendingApproval != tt.pending || o.StateReason != tt.reason {
				t.Errorf("status %s, pending approval %v, reason %q; want %s, %v, %q", o.Status, o.PendingApproval,
					o.StateReason, tt.status, tt.pending, tt.reason)
			}
		})
	}
	// A fractional amount is not paise: the body is refused as malformed.
	bad := entity("processed", "100.5", "")
	if _, err := c.Webhook(signed("whsec_new", bad), []byte(bad)); err == nil {
		t.Error("a fractional paise amount was accepted")
	}
}
