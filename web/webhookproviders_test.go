package web_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/paywize"
	"payops/adapters/razorpayx"
	"payops/adapters/xendit"
	"payops/payout"
	"payops/store"
)

// The other providers' test secrets, for webhooks signed as each provider
// signs them (see the adapters' own tests).
const (
	paywizeAPIKey     = "MshTymhj6llgEhzpJ5s0M9gI3soYz82h" // 32 bytes: the AES key
	paywizeSecretKey  = "QI8zFZWX272Z0Unb"                 // 16 bytes: the IV
	paywizeWebhook    = "pw-whsec"
	razorpayxWebhook  = "rzp-whsec"
	xenditCallbackTok = "xnd-cb-token"
)

func testPaywize(t *testing.T) *paywize.Client {
	t.Helper()
	c, err := paywize.NewClient(paywize.Config{APIKey: paywizeAPIKey, SecretKey: paywizeSecretKey,
		WebhookSecret: paywizeWebhook, WalletID: "W1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testProviders are Paywize, RazorpayX and Xendit, whose APIs are never
// called here: only their webhooks are posted.
func testProviders(t *testing.T) adapters.Registry {
	t.Helper()
	return adapters.Registry{
		"paywize": testPaywize(t),
		"razorpayx": razorpayx.NewClient(razorpayx.Config{KeyID: "k", KeySecret: "s",
			WebhookSecrets: []string{razorpayxWebhook}}),
		"xendit": xendit.NewClient(xendit.Config{SecretKey: "k", CallbackToken: xenditCallbackTok}),
	}
}

// signed is a webhook delivery: the body and the headers it is sent with.
type signed struct {
	provider string
	body     string
	header   map[string]string
}

// nxtbSigned is a body signed as NxtBanking signs it, for the sandbox (and
// any provider speaking NxtBanking's format).
func nxtbSigned(body string) signed {
	sig := nxtbanking.Sign([]byte(sandboxWebhookSecret), []byte(body))
	return signed{"sandbox", body, map[string]string{"X-NxtB-Signature": sig}}
}

// paywizeSigned encrypts plain into {"data": ...} and signs the envelope,
// with X-Paywize-Timestamp at sent (none when sent is zero).
func paywizeSigned(t *testing.T, plain string, sent time.Time) signed {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"data": testPaywize(t).Encrypt([]byte(plain))})
	h := map[string]string{"X-Paywize-Signature": "sha256=" + adapters.HMACHex([]byte(paywizeWebhook), body),
		"X-Paywize-Event": "payout_status_change"}
	if !sent.IsZero() {
		h["X-Paywize-Timestamp"] = strconv.FormatInt(sent.Unix(), 10)
	}
	return signed{"paywize", string(body), h}
}

// razorpayxSigned signs body as RazorpayX does, with eventID in the
// X-Razorpay-Event-Id header (which the signature does not cover).
func razorpayxSigned(body, eventID string) signed {
	sig := adapters.HMACHex([]byte(razorpayxWebhook), []byte(body))
	return signed{"razorpayx", body, map[string]string{"X-Razorpay-Signature": sig, "X-Razorpay-Event-Id": eventID}}
}

// xenditSigned is body with Xendit's callback token, which signs nothing.
func xenditSigned(body string) signed {
	return signed{"xendit", body, map[string]string{"X-Callback-Token": xenditCallbackTok}}
}

// addProviderPayout adds a PROCESSING payout ref of provider, known there
// as ppid.
func (a *app) addProviderPayout(provider, ref, ppid string) {
	a.t.Helper()
	_, err := a.store.CreatePayout(context.Background(), "test", store.NewPayout{
		ReferenceID: ref, Provider: provider, ProviderPayoutID: ppid, Amount: payout.Money{Minor: 10000, Currency: "INR"},
		Mode: "IMPS", Status: payout.Processing, CreatedAt: time.Now().Add(-time.Hour),
		Beneficiary: store.Beneficiary{Name: "Gaurav Kumar", AccountNumber: "765432123456789", IFSC: "HDFC0000053"},
		Test:        provider == payout.DrillProvider, // the sandbox's stand in for live payouts here
	})
	if err != nil {
		a.t.Fatal(err)
	}
}

// post sends the delivery to the app's webhook endpoint.
func (s signed) post(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	return postWebhook(t, url, s.provider, s.body, s.header)
}

// paywizePlain is seed 001's decrypted payload for transaction txn (our
// reference ref) in status, with webhook_sent_at at sent (left out when
// zero).
func paywizePlain(txn, ref, status string, sent time.Time) string {
	p := map[string]any{"event_type": "payout_status_change", "transaction_id": txn, "merchant_ref_id": ref,
		"amount": "10000.00", "currency": "INR", "status": status, "status_message": "Payout " + status,
		"bank_reference": "BNK789456123",
		"beneficiary": map[string]any{"account_number": "1234567890", "ifsc": "HDFC0001234",
			"account_holder_name": "John Doe", "bank_name": "HDFC Bank"},
		"payment_details": map[string]any{"payment_mode": "OPEN_BANKING", "charges": "5.00", "net_amount": "9995.00"},
		"metadata":        map[string]any{"purpose": "salary_payment", "employee_id": "EMP001"}}
	if !sent.IsZero() {
		p["timestamps"] = map[string]any{"initiated_at": sent.Add(-31 * time.Second).UTC().Format(time.RFC3339),
			"webhook_sent_at": sent.UTC().Format(time.RFC3339)}
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// razorpayxBody is seed 003's payout event envelope for payout pout in
// status, made at created (created_at left out when zero).
func razorpayxBody(pout, status string, created time.Time) string {
	ev := map[string]any{"entity": "event", "account_id": "acc_Pup4LDLiA1DssX", "event": "payout." + status,
		"contains": []string{"payout"},
		"payload": map[string]any{"payout": map[string]any{"entity": map[string]any{
			"id": pout, "entity": "payout", "fund_account_id": "fa_R7amb4zOx1gJoF", "amount": 100, "currency": "INR",
			"fees": 0, "tax": 0, "status": status, "purpose": "payout", "utr": "523223155921", "mode": "IMPS",
			"reference_id": "RZ-" + pout, "narration": "Payout to Acme Corp", "created_at": 1755693656,
			"fund_account": map[string]any{"id": "fa_R7amb4zOx1gJoF", "account_type": "bank_account",
				"bank_account": map[string]any{"ifsc": "HDFC0000053", "bank_name": "HDFC Bank", "name": "Gaurav Kumar",
					"account_number": "765432123456789"}}}}}}
	if !created.IsZero() {
		ev["created_at"] = created.Unix()
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

// xenditBody is seed 002's payout webhook for payout disb in status, its
// envelope made at created.
func xenditBody(disb, ref, status string, created time.Time) string {
	b, _ := json.Marshal(map[string]any{"event": "payout." + strings.ToLower(status),
		"business_id": "5f27a14a9bf05c73dd040bc8", "created": created.UTC().Format(time.RFC3339),
		"data": map[string]any{"id": disb, "amount": 10000, "channel_code": "ID_BCA", "currency": "IDR", "status": status,
			"reference_id": ref, "channel_properties": map[string]any{"account_number": "000000000099",
				"account_holder_name": "Michael Chen"}}})
	return string(b)
}

// nxtbBody is seed 000's webhook for payout pay (our reference ref) in
// status, sent at sent ("timestamp" left out when zero).
func nxtbBody(pay, ref, status, utr string, sent time.Time) string {
	ev := map[string]any{"event": "payout." + map[string]string{"SUCCESS": "completed", "FAILED": "failed",
		"PROCESSING": "processing"}[status], "payout_id": pay, "reference_id": ref, "status": status, "utr": utr,
		"amount": 50000}
	if !sent.IsZero() {
		ev["timestamp"] = sent.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(ev)
	return string(b)
}
