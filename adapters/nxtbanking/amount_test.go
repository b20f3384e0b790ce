package nxtbanking_test

import (
	"errors"
	"net/http"
	"testing"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/payout"
)

// The amount a NxtBanking webhook states, read exactly: decimal rupees as a
// JSON number or with decimals (seed 000's "amount": 50000), in the
// currency the sandbox names, never through a float.
func TestWebhookAmount(t *testing.T) {
	c := client("http://unused")
	tests := []struct {
		name   string
		amount string // the JSON after "amount":, "" for none
		extra  string
		want   *payout.Money
		bad    bool
	}{
		{"seed 000: whole rupees", `50000`, ``, &payout.Money{Minor: 5000000, Currency: "INR"}, false},
		{"paise", `1250.50`, ``, &payout.Money{Minor: 125050, Currency: "INR"}, false},
		{"one paisa, exact", `0.01`, ``, &payout.Money{Minor: 1, Currency: "INR"}, false},
		{"beyond float precision", `90071992547409.93`, ``, &payout.Money{Minor: 9007199254740993, Currency: "INR"}, false},
		{"the sandbox names IDR", `50000`, `,"currency":"IDR"`, &payout.Money{Minor: 50000, Currency: "IDR"}, false},
		{"none stated", ``, ``, nil, false},
		{"more decimals than rupees have", `10.005`, ``, nil, true},
		{"an exponent", `1e3`, ``, nil, true},
		{"negative", `-5.00`, ``, nil, true},
		{"a quoted number", `"500.00"`, ``, &payout.Money{Minor: 50000, Currency: "INR"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"event":"payout.completed","payout_id":"pay_1","reference_id":"R1","status":"SUCCESS"` + tt.extra
			if tt.amount != "" {
				body += `,"amount":` + tt.amount
			}
			body += `}`
			h := http.Header{"X-Nxtb-Signature": {nxtbanking.Sign([]byte("nx_whsec"), []byte(body))}}
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
