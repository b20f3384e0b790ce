package xendit_test

import (
	"errors"
	"net/http"
	"testing"

	"payops/adapters"
	"payops/payout"
)

// Xendit states amounts as JSON numbers in major units of the payout's
// currency (seed 002: integer for IDR, up to 2 decimals for PHP).
func TestWebhookAmount(t *testing.T) {
	c := client("http://unused")
	h := http.Header{"X-Callback-Token": {"cb-token-123"}}
	tests := []struct {
		name             string
		amount, currency string
		want             *payout.Money
		bad              bool
	}{
		{"seed 002: IDR", `10000`, "IDR", &payout.Money{Minor: 10000, Currency: "IDR"}, false},
		{"PHP with centavos", `1250.75`, "PHP", &payout.Money{Minor: 125075, Currency: "PHP"}, false},
		{"PHP one decimal", `0.1`, "PHP", &payout.Money{Minor: 10, Currency: "PHP"}, false},
		{"none stated", ``, "IDR", nil, false},
		{"IDR with decimals", `10000.50`, "IDR", nil, true},
		{"an unknown currency", `10`, "XXX", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"event":"payout.succeeded","data":{"id":"disb-1","reference_id":"R1","status":"SUCCEEDED","currency":"` +
				tt.currency + `"`
			if tt.amount != "" {
				body += `,"amount":` + tt.amount
			}
			body += `}}`
			ev, err := c.Webhook(h, []byte(body))
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
