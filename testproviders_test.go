package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"payops/adapters/nxtbanking"
)

// A payops started as make run starts it (the sandbox inside, no secret
// set) refuses a "payout succeeded" signed with the old public default
// secret, knows no drill provider between drills, and takes no payout for
// a test provider from a live token.
func TestTestProvidersAreNoDoor(t *testing.T) {
	vars := map[string]string{}
	addr := servePayops(t, vars, "--sandbox-addr", freeAddr(t))
	base := "http://" + addr
	body := fmt.Sprintf(`{"event":"payout.completed","payout_id":"pay_forged","reference_id":"ORD-1","status":"SUCCESS",`+
		`"utr":"999","amount":50000,"timestamp":%q}`, time.Now().UTC().Format(time.RFC3339))
	for path, want := range map[string]int{"/webhooks/sandbox": http.StatusUnauthorized, "/webhooks/drill": http.StatusNotFound} {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-NxtB-Signature", nxtbanking.Sign([]byte("sandbox-webhook-secret"), []byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("forged webhook to %s signed with the old default secret: %d, want %d", path, resp.StatusCode, want)
		}
	}

	live := newToken(t, vars, "shop", "live")
	for _, provider := range []string{"sandbox", "drill"} {
		payload, _ := json.Marshal(map[string]any{"reference_id": "ORD-" + provider, "provider": provider, "amount": "10.00",
			"currency": "INR", "mode": "IMPS", "narration": "x", "market": "IN", "beneficiary": map[string]string{
				"name": "A", "account_number": "123456789012", "ifsc": "HDFC0001234", "tax_artifact": "present"}})
		req, _ := http.NewRequest("POST", base+"/api/v1/payouts", bytes.NewReader(payload))
		req.Header.Set("Authorization", "Bearer "+live)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var answer struct {
			Fields map[string]string `json:"fields"`
		}
		json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity || answer.Fields["provider"] == "" {
			t.Errorf("live token, provider %s: %d %v, want 422 naming provider", provider, resp.StatusCode, answer.Fields)
		}
	}
}
