package paywize_test

import (
	"errors"
	"testing"

	"payops/adapters"
	"payops/payout"
)

// Paywize states the gross amount as a decimal string of rupees (seed 001's
// "amount": "10000.00"); net_amount, less the charges, is not compared.
func TestWebhookAmount(t *testing.T) {
	c := newClient(t, "")
	tests := []struct {
		name   string
		fields string
		want   *payout.Money
		bad    bool
	}{
		{"seed 001", `"amount":"10000.00","currency":"INR"`, &payout.Money{Minor: 1000000, Currency: "INR"}, false},
		{"no currency: INR", `"amount":"99.5"`, &payout.Money{Minor: 9950, Currency: "INR"}, false},
		{"net amount is not the amount", `"amount":"10000.00","payment_details":{"charges":"5.00","net_amount":"9995.00"}`,
			&payout.Money{Minor: 1000000, Currency: "INR"}, false},
		{"none stated", `"currency":"INR"`, nil, false},
		{"three decimals", `"amount":"10.005"`, nil, true},
		{"not a number", `"amount":"ten"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := `{"transaction_id":"CBP1","merchant_ref_id":"R1","status":"COMPLETED",` + tt.fields + `}`
			h, body := delivery(c, "data", plain, "pw_whsec")
			ev, err := c.Webhook(h, body)
			if tt.bad {
				if !errors.Is(err, adapters.ErrMalformed) {
					t.Fatalf("err = %v, want malformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ev.Observation.Amount
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("amount = %v, want %v", got, tt.want)
			}
		})
	}
}
