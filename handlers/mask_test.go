package handlers

import (
	"strings"
	"testing"
)

// Seed-shaped bodies (seeds 000-003) and the shapes around them: account
// numbers are masked whatever key carries them and however deep, in JSON,
// in JSON cut short (a refused delivery's first 4 KiB) and in other text;
// UTRs, provider payout ids, references and event ids stay readable.
func TestMaskBody(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		hidden  []string
		visible []string
	}{
		{"xendit seed 002: channel_properties.account_number",
			`{"event":"payout.succeeded","business_id":"5f27a14a9bf05c73dd040bc8",` +
				`"data":{"id":"disb-571f3644d2b4edf0745e9703","reference_id":"myref-1482928194","channel_properties":{"account_number":"000000000099",` +
				`"account_holder_name":"Michael Chen"},"amount":10000}}`,
			[]string{"000000000099"},
			[]string{"XXXXXXXX0099", "Michael Chen", "10000", "disb-571f3644d2b4edf0745e9703", "myref-1482928194"}},
		{"paywize seed 001, decrypted: beneficiary.account_number",
			`{"event_type":"payout_status_change","transaction_id":"CBP123456789","merchant_ref_id":"MERCHANT_TXN_001",` +
				`"status":"COMPLETED","bank_reference":"BNK789456123","beneficiary":{"account_number":"1234567890",` +
				`"ifsc":"HDFC0001234","account_holder_name":"John Doe"}}`,
			[]string{"1234567890"},
			[]string{"XXXXXX7890", "CBP123456789", "MERCHANT_TXN_001", "BNK789456123", "HDFC0001234", "John Doe"}},
		{"nxtbanking seed 000: a ten-digit UTR stays",
			`{"event":"payout.completed","payout_id":"pay_xyz789","reference_id":"ORDER_12345","status":"SUCCESS",` +
				`"utr":"1234567890","amount":50000,"beneficiary_account":"50100012345678"}`,
			[]string{"50100012345678"},
			[]string{`"utr": "1234567890"`, "pay_xyz789", "ORDER_12345", "XXXXXXXXXX5678"}},
		{"razorpayx: fund_account.bank_account, vpa, numbers",
			`{"entity":"event","account_id":"acc_Pup4LDLiA1DssX","event":"payout.processed","payload":{"payout":{"entity":` +
				`{"id":"pout_R7ambiUdUvg6AD","fund_account_id":"fa_R7amb4zOx1gJoF","utr":"523223155921",` +
				`"fund_account":{"bank_account":{"ifsc":"HDFC0000053","name":"Gaurav Kumar","account_number":` +
				`1121431121541121},"vpa":{"username":"gaurav.kumar","handle":"exampleupi",` +
				`"address":"gaurav.kumar@exampleupi"}}}}}}`,
			[]string{"1121431121541121", "gaurav.kumar@exampleupi", `"gaurav.kumar"`},
			[]string{"acc_Pup4LDLiA1DssX", "pout_R7ambiUdUvg6AD", "fa_R7amb4zOx1gJoF", "523223155921", "HDFC0000053",
				"Gaurav Kumar", "XXXXXXXXXXXX1121"}},
		{"other spellings, nested in arrays",
			`{"items":[{"accountNumber":"50100012345678"},{"bank_account_number":"000123456789012"},` +
				`{"BeneficiaryAccountNo":"9876543210"},{"debit_account":"33330000111122"},{"account":"4444555566667777"},` +
				`{"account_numbers":["111122223333","444455556666"]},{"iban":"DE89370400440532013000"},` +
				`{"acct_no":"222233334444"}],"event_id":"evt_123456789012"}`,
			[]string{"50100012345678", "000123456789012", "9876543210", "33330000111122", "4444555566667777",
				"111122223333", "444455556666", "DE89370400440532013000", "222233334444"},
			[]string{"evt_123456789012", "XXXXXXXXXX5678", "XXXXXXXX3333"}},
		{"JSON cut at 4 KiB",
			`{"event":"payout.completed","utr":"415612345678","beneficiary":{"account_number":"123456789012","ifsc":"HDF`,
			[]string{"123456789012"}, []string{"415612345678", "XXXXXXXX9012"}},
		{"form-encoded", `account_number=123456789012&utr=415612345678&reference_id=ORDER_12345&payout_id=987654321098`,
			[]string{"123456789012"}, []string{"XXXXXXXX9012", "utr=415612345678", "ORDER_12345", "987654321098"}},
		{"XML", `<payout><utr>415612345678</utr><beneficiaryAccount>123456789012</beneficiaryAccount></payout>`,
			[]string{"123456789012"}, []string{"<utr>415612345678</utr>", "XXXXXXXX9012"}},
		{"free text", `account=1234567890123 utr 12, paid to 998877665544`,
			[]string{"1234567890123", "998877665544"}, []string{"XXXXXXXXX0123", "utr 12"}},
	}
	for _, tt := range tests {
		got := MaskBody([]byte(tt.in))
		for _, h := range tt.hidden {
			if strings.Contains(got, h) {
				t.Errorf("%s: got %s, want %s hidden", tt.name, got, h)
			}
		}
		for _, v := range tt.visible {
			if !strings.Contains(got, v) {
				t.Errorf("%s: got %s, want %s shown", tt.name, got, v)
			}
		}
	}
}
