package payout

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// Amounts parse exactly or not at all: a parsed amount prints back to a
// decimal that parses to the same amount, and is never negative.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1250.50", "0.01", "1", "100000000", "12.345", "-1", "1e3", " 1", "9223372036854775807", ".5", "5."} {
		for _, c := range []string{"INR", "IDR", "USD", "XYZ"} {
			f.Add(s, c)
		}
	}
	f.Fuzz(func(t *testing.T, amount, currency string) {
		m, err := ParseMoney(amount, currency)
		if err != nil {
			return
		}
		if m.Minor < 0 || m.Currency != currency {
			t.Fatalf("%q %q parsed to %+v", amount, currency, m)
		}
		again, err := ParseMoney(m.Decimal(), currency)
		if err != nil || again != m {
			t.Fatalf("%q %q: %+v prints as %q, which parses to %+v (%v)", amount, currency, m, m.Decimal(), again, err)
		}
	})
}

// A settlement report is read whole or refused with a reason naming the
// line (or the empty file); what is read has exact, positive amounts in a
// known currency and a canonical status.
func FuzzParseSettlement(f *testing.F) {
	header := strings.Join(SettlementColumns, ",") + "\n"
	for _, body := range []string{
		"pp-1,R1,1250.50,INR,SUCCESS,5.00,2026-11-20T10:00:00Z\n",
		"pp-2,R2,100,IDR,failed,,\n\"pp,3\",R3,1.00,USD,REVERSED,0.10,\n",
		"pp-4,R4,1.005,INR,SUCCESS,,\n",
		"pp-5,R5,1,INR\n",
		"pp-6,\"R6\nR7\",1,INR,SUCCESS,,\n",
		"=cmd(),R8,1,INR,SUCCESS,,\n",
	} {
		f.Add([]byte(header + body))
	}
	f.Add([]byte(""))
	f.Add([]byte("\ufeff" + header))
	f.Fuzz(func(t *testing.T, data []byte) {
		records, err := ParseSettlement(bytes.NewReader(data), 1000)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "line ") && !strings.HasPrefix(msg, "the file is empty") {
				t.Fatalf("refusal without a line: %q", msg)
			}
			return
		}
		for _, r := range records {
			if _, err := Exponent(r.Amount.Currency); err != nil || r.Amount.Minor <= 0 {
				t.Fatalf("record with amount %+v", r.Amount)
			}
			if _, err := ParseStatus(string(r.Status)); err != nil {
				t.Fatalf("record with status %q", r.Status)
			}
			if !IsText(r.ProviderPayoutID) || !IsText(r.ReferenceID) {
				t.Fatalf("record with ids %q %q", r.ProviderPayoutID, r.ReferenceID)
			}
			if r.Fee != nil && *r.Fee < 0 {
				t.Fatalf("record with fee %d", *r.Fee)
			}
		}
	})
}

// An intake request is checked without panicking; one that passes has a
// positive amount in a known currency, an account number and text fields
// without control characters, all valid UTF-8.
func FuzzCheckRequest(f *testing.F) {
	f.Add([]byte(`{"reference_id":"R-1","provider":"sandbox","amount":"1250.50","currency":"INR","mode":"IMPS",
		"narration":"Seller settlement","beneficiary":{"name":"Asha Rao","account_number":"123456789012","ifsc":"HDFC0001234",
		"tax_artifact":"present"},"metadata":{"seller":"s-1"}}`))
	f.Add([]byte(`{"reference_id":"R-2","provider":"sandbox","amount":1250.5,"currency":"INR"}`))
	f.Add([]byte(`{"reference_id":"R-3","amount":"99999999999999999999","currency":"IDR","metadata":[1,2,3]}`))
	f.Add([]byte(`{"reference_id":"<script>","amount":"1","currency":"USD","beneficiary":{"name":"\u0000"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw RawRequest
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		req, errs := raw.Check([]string{"sandbox", "xendit"})
		if len(errs) > 0 {
			for field, msg := range errs {
				if field == "" || msg == "" {
					t.Fatalf("field error %q: %q", field, msg)
				}
			}
			return
		}
		if _, err := Exponent(req.Currency); err != nil || req.AmountMinor <= 0 || req.Beneficiary.AccountNumber == "" {
			t.Fatalf("accepted %+v", req)
		}
		for _, s := range []string{req.ReferenceID, req.Narration, req.Beneficiary.Name, req.Beneficiary.BankName, req.Mode} {
			if HasControl(s) || !utf8.ValidString(s) {
				t.Fatalf("accepted text %q", s)
			}
		}
	})
}
