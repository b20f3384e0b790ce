package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

// Account numbers in stored webhook bodies are masked on every page that
// shows a body — the webhooks page and the payout's timeline — whatever
// key carries them, in Paywize's decrypted payload too and in a refused
// body cut at 4 KiB; UTRs, provider payout ids and references stay.
func TestWebhookBodiesMasked(t *testing.T) {
	a := newApp(t, withProviders())
	a.addUser("ops@example.com", payout.RoleOps)
	now := time.Now()
	a.addProviderPayout("razorpayx", "RZ-pout_M1", "pout_M1")
	a.addProviderPayout("paywize", "PW-M1", "CBP_M1")
	a.addProviderPayout("xendit", "XN-M1", "disb-M1")
	a.addPayout("MK-1", payout.Processing, time.Hour)
	nxtb := strings.Replace(nxtbBody(sandbox.PayoutIDFor("MK-1"), "MK-1", "SUCCESS", "UTR415612345678", now), `"amount"`,
		`"beneficiary":{"accountNumber":"50100012345678","beneficiary_account":"000123456789012"},"amount"`, 1)
	refused := `{"event":"payout.completed","payout_id":"sbx_MK-1","utr":"415600000001",` +
		`"beneficiary_account":"998877665544","pad":"` + strings.Repeat("x", 5000) + `"}`
	tests := []struct {
		name     string
		delivery signed
		payout   string // "" when the delivery is not about a payout
		hidden   []string
		visible  []string
	}{
		{"razorpayx", razorpayxSigned(razorpayxBody("pout_M1", "processed", now), "evt_M1"), "RZ-pout_M1",
			[]string{"765432123456789"}, []string{"pout_M1", "523223155921", "fa_R7amb4zOx1gJoF", "XXXXXXXXXXX6789"}},
		{"paywize, decrypted", paywizeSigned(t, paywizePlain("CBP_M1", "PW-M1", "COMPLETED", now), now), "PW-M1",
			[]string{"1234567890"}, []string{"CBP_M1", "PW-M1", "BNK789456123", "XXXXXX7890"}},
		{"xendit", xenditSigned(xenditBody("disb-M1", "XN-M1", "SUCCEEDED", now)), "XN-M1",
			[]string{"000000000099"}, []string{"disb-M1", "XN-M1", "XXXXXXXX0099"}},
		{"nxtb format", nxtbSigned(nxtb), "MK-1",
			[]string{"50100012345678", "000123456789012"}, []string{sandbox.PayoutIDFor("MK-1"), "UTR415612345678", "XXXXXXXXXX5678"}},
		{"refused, cut at 4 KiB", signed{"sandbox", refused, nil}, "",
			[]string{"998877665544"}, []string{"sbx_MK-1", "415600000001", "XXXXXXXX5544"}},
	}
	c := a.client()
	c.login("ops@example.com")
	for _, tt := range tests {
		if code, out := tt.delivery.post(t, a.srv.URL); code != 200 && code != 401 {
			t.Fatalf("%s: %d %v", tt.name, code, out)
		}
		d := lastDelivery(t, a)
		if d.Outcome != store.OutcomeApplied && d.Outcome != store.OutcomeRejected {
			t.Fatalf("%s: %s %s", tt.name, d.Outcome, d.Detail)
		}
		_, page := c.get("/webhooks")
		shown := map[string][]string{"/webhooks": textsOf(t, page, "delivery-"+strconv.FormatInt(d.ID, 10), "body")}
		if tt.payout != "" {
			_, page := c.get("/payouts/" + tt.payout)
			shown["/payouts/"+tt.payout] = textsOf(t, page, "timeline", "body")
		}
		for where, bodies := range shown {
			got := strings.Join(bodies, "\n")
			for _, h := range tt.hidden {
				if strings.Contains(got, h) {
					t.Errorf("%s on %s: got %s, want %s hidden", tt.name, where, got, h)
				}
			}
			for _, v := range tt.visible {
				if !strings.Contains(got, v) {
					t.Errorf("%s on %s: got %s, want %s shown", tt.name, where, got, v)
				}
			}
		}
	}
}
