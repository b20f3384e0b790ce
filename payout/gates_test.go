package payout

import (
	"slices"
	"strings"
	"testing"
)

func TestGates(t *testing.T) {
	policy, err := ParsePolicy("INR=200000.00, IDR=100000000")
	if err != nil {
		t.Fatal(err)
	}
	complete := Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234", TaxArtifact: TaxPresent}
	inr := func(minor int64) Money { return Money{Minor: minor, Currency: "INR"} }
	live := MarketLaunch{Live: true, State: "live by version 1"}
	// A market document with its own, lower INR threshold.
	strict := MarketLaunch{Live: true, State: "live by version 2", Review: map[string]Money{"INR": inr(1000000)}}
	cases := []struct {
		name   string
		in     GateInput
		failed []Reason
		answer string // in the first failure's answer
	}{
		{"all pass", GateInput{Amount: inr(125000), Market: "IN", Launch: live, Beneficiary: complete}, nil, ""},
		{"exactly at the threshold", GateInput{Amount: inr(20000000), Market: "IN", Launch: live, Beneficiary: complete}, nil, ""},
		{"no name", GateInput{Amount: inr(100), Market: "IN", Launch: live, Beneficiary: Beneficiary{AccountNumber: "1234567", IFSC: "HDFC0001234", TaxArtifact: TaxPresent}},
			[]Reason{ReasonBeneficiary}, "beneficiary name missing"},
		{"no routing code", GateInput{Amount: inr(100), Market: "IN", Launch: live, Beneficiary: Beneficiary{Name: "A", AccountNumber: "1234567", TaxArtifact: TaxPresent}},
			[]Reason{ReasonBeneficiary}, "IFSC or bank code missing"},
		{"bank code will do", GateInput{Amount: Money{Minor: 100, Currency: "IDR"}, Market: "ID", Launch: live, Beneficiary: Beneficiary{Name: "A", AccountNumber: "1234567", BankCode: "BCA", TaxArtifact: TaxPresent}},
			nil, ""},
		{"tax missing", GateInput{Amount: inr(100), Market: "IN", Launch: live, Beneficiary: with(complete, TaxMissing)}, []Reason{ReasonTax}, "tax artifact is missing"},
		{"tax expired", GateInput{Amount: inr(100), Market: "IN", Launch: live, Beneficiary: with(complete, TaxExpired)}, []Reason{ReasonTax}, "expired"},
		{"tax under review", GateInput{Amount: inr(100), Market: "IN", Launch: live, Beneficiary: with(complete, TaxUnderReview)}, []Reason{ReasonTax}, "under review"},
		{"above threshold", GateInput{Amount: inr(20000001), Market: "IN", Launch: live, Beneficiary: complete}, []Reason{ReasonReview},
			"2,00,000.01 INR is above the 2,00,000.00 INR review threshold"},
		{"above threshold, released by compliance", GateInput{Amount: inr(20000001), Market: "IN", Launch: live, Beneficiary: complete,
			Approved: map[Reason]bool{ReasonReview: true}}, nil, ""},
		{"approval of another reason does not count", GateInput{Amount: inr(20000001), Market: "IN", Launch: live, Beneficiary: complete,
			Approved: map[Reason]bool{ReasonTax: true}}, []Reason{ReasonReview}, "review threshold"},
		{"currency without threshold", GateInput{Amount: Money{Minor: 1 << 40, Currency: "USD"}, Market: "US", Launch: live, Beneficiary: complete}, nil, ""},
		{"market without a document", GateInput{Amount: inr(100), Market: "PH", Beneficiary: complete}, []Reason{ReasonMarket}, "market PH is read-only"},
		{"market read-only by its document", GateInput{Amount: inr(100), Market: "PH", Beneficiary: complete,
			Launch: MarketLaunch{State: "read-only by version 2"}}, []Reason{ReasonMarket}, "read-only by version 2"},
		{"a test payout in a read-only market", GateInput{Amount: inr(100), Market: "PH", Test: true, Beneficiary: complete}, nil, ""},
		{"the document's threshold", GateInput{Amount: inr(1000001), Market: "IN", Launch: strict, Beneficiary: complete},
			[]Reason{ReasonReview}, "above the 10,000.00 INR review threshold"},
		{"within the document's threshold", GateInput{Amount: inr(1000000), Market: "IN", Launch: strict, Beneficiary: complete}, nil, ""},
		{"the configured threshold where the document sets none", GateInput{Amount: Money{Minor: 100000001, Currency: "IDR"},
			Market: "ID", Launch: strict, Beneficiary: Beneficiary{Name: "A", AccountNumber: "1234567", BankCode: "BCA", TaxArtifact: TaxPresent}},
			[]Reason{ReasonReview}, "review threshold"},
		{"funding hold outstanding", GateInput{Amount: inr(100), Market: "IN", Launch: live, Beneficiary: complete, FundingHold: true},
			[]Reason{ReasonFunding}, "insufficient funds"},
		{"several at once", GateInput{Amount: inr(30000000), Market: "PH", Beneficiary: with(complete, TaxExpired)},
			[]Reason{ReasonTax, ReasonReview, ReasonMarket}, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evals := policy.Evaluate(c.in)
			if len(evals) != 5 {
				t.Fatalf("%d evaluations, want one per gate", len(evals))
			}
			for _, e := range evals {
				if e.Rule == "" || e.Answer == "" || len(e.Inputs) == 0 {
					t.Errorf("evaluation %s lacks its record: %+v", e.Gate, e)
				}
				if strings.Contains(strings.Join(values(e.Inputs), " "), "123456789012") {
					t.Errorf("evaluation %s records the account number", e.Gate)
				}
			}
			failed := Failures(evals)
			var got []Reason
			for _, f := range failed {
				got = append(got, f.Gate)
			}
			if strings.Join(reasons(got), ",") != strings.Join(reasons(c.failed), ",") {
				t.Fatalf("failed gates %v, want %v", got, c.failed)
			}
			if c.answer != "" && !strings.Contains(failed[0].Answer, c.answer) {
				t.Fatalf("answer %q does not say %q", failed[0].Answer, c.answer)
			}
		})
	}
}

func with(b Beneficiary, t TaxArtifact) Beneficiary { b.TaxArtifact = t; return b }

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func reasons(rs []Reason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r))
	}
	return out
}

func TestParsePolicyRefusesBadConfiguration(t *testing.T) {
	for _, c := range []struct{ thresholds, want string }{
		{"INR", "not CURRENCY=AMOUNT"},
		{"INR=12.345", "more than 2 decimals"},
		{"XYZ=10", "unknown currency"},
	} {
		if _, err := ParsePolicy(c.thresholds); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParsePolicy(%q) = %v, want %q", c.thresholds, err, c.want)
		}
	}
}

// An account number or bank an operator changed on a retry holds the payout
// for a second person; a name, or an IFSC corrected to another branch of the
// same bank, does not, and the hold's words show both accounts masked and
// name no operator (they reach the platform through the API and its
// webhooks).
func TestARedirectedRetryFailsTheBeneficiaryGate(t *testing.T) {
	before := Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"}
	fixed := before
	fixed.IFSC, fixed.Name = "hdfc0009999", "Asha R. Rao"
	if r := RedirectOf(before, fixed, "PAY-1"); r != nil {
		t.Errorf("a branch and name correction counts as a redirect: %+v", r)
	}
	if got := CorrectedFields(before, fixed); len(got) != 2 || got[0] != "name" || got[1] != "ifsc" {
		t.Errorf("CorrectedFields = %v, want [name ifsc]", got)
	}
	otherBank := fixed
	otherBank.IFSC = "ICIC0000001"
	rb := RedirectOf(before, otherBank, "PAY-1")
	if rb == nil || rb.Account || rb.FromBank != "HDFC" || rb.ToBank != "ICIC" {
		t.Fatalf("the same number at another bank: RedirectOf = %+v, want a redirect from HDFC to ICIC", rb)
	}
	eb := (Policy{}).beneficiaryGate(GateInput{Amount: Money{Minor: 100, Currency: "INR"}, Beneficiary: otherBank,
		Redirected: rb})
	if eb.Passed || !strings.Contains(eb.Answer, "bank changed from HDFC to ICIC (the same account number, XXXXXXXX9012)") ||
		eb.Inputs["bank"] != "changed by an operator" || eb.Inputs["account_number"] != "given" {
		t.Errorf("the retry to another bank's evaluation = %+v", eb)
	}
	wallet := Beneficiary{Name: "Dewi", AccountNumber: "081234567890", BankCode: "OVO"}
	if r := RedirectOf(wallet, Beneficiary{Name: "Dewi", AccountNumber: "081234567890", BankCode: "DANA"}, "PAY-2"); r == nil ||
		r.FromBank != "OVO" || r.ToBank != "DANA" {
		t.Errorf("the same phone number at another e-wallet: RedirectOf = %+v, want a redirect", r)
	}
	if r := RedirectOf(wallet, Beneficiary{Name: "Dewi", AccountNumber: "081234567890", BankCode: " ovo "}, "PAY-2"); r != nil {
		t.Errorf("the same bank code written differently: RedirectOf = %+v, want none", r)
	}
	both := Beneficiary{Name: "Dewi", AccountNumber: "081234567890", IFSC: "HDFC0001234", BankCode: "OVO"}
	if r := RedirectOf(both, Beneficiary{Name: "Dewi", AccountNumber: "081234567890", IFSC: "HDFC0001234", BankCode: "DANA"}, "PAY-3"); r == nil ||
		!r.Bank || r.FromBank != "HDFC/OVO" || r.ToBank != "HDFC/DANA" {
		t.Errorf("the bank code changed beside an unchanged IFSC: RedirectOf = %+v, want a redirect", r)
	}
	none := Beneficiary{Name: "Dewi", AccountNumber: "081234567890"}
	r0 := RedirectOf(none, wallet, "PAY-4")
	if r0 == nil || !r0.Bank || r0.FromBank != "" || r0.ToBank != "OVO" {
		t.Fatalf("a bank given where there was none: RedirectOf = %+v, want a redirect", r0)
	}
	if e := (Policy{}).beneficiaryGate(GateInput{Amount: Money{Minor: 100, Currency: "IDR"}, Beneficiary: wallet,
		Redirected: r0}); e.Passed || !strings.Contains(e.Answer, "bank changed from none to OVO") {
		t.Errorf("the evaluation of a bank given where there was none = %+v", e)
	}
	moved := fixed
	moved.AccountNumber = "999988887777"
	r := RedirectOf(before, moved, "PAY-1")
	if r == nil || !r.Account || r.From != "XXXXXXXX9012" || r.To != "XXXXXXXX7777" || r.FromBank != "" {
		t.Fatalf("RedirectOf = %+v", r)
	}
	if alike := RedirectOf(before, Beneficiary{Name: "Asha Rao", AccountNumber: "999956789012", IFSC: "HDFC0001234"}, "PAY-1"); alike == nil ||
		!alike.Account {
		t.Errorf("another number with the same last four: RedirectOf = %+v, want the account changed", alike)
	}
	in := GateInput{Amount: Money{Minor: 100, Currency: "INR"}, Beneficiary: moved}
	if e := (Policy{}).beneficiaryGate(in); !e.Passed {
		t.Fatalf("the complete beneficiary without a redirect: %+v", e)
	}
	in.Redirected = r
	e := (Policy{}).beneficiaryGate(in)
	if e.Passed || !strings.Contains(e.Answer, "XXXXXXXX9012 to XXXXXXXX7777 by an operator when sending PAY-1 again") ||
		strings.Contains(e.Answer, "@") ||
		strings.Contains(e.Answer, "999988887777") || e.Inputs["account_number"] != "changed by an operator" ||
		!strings.HasPrefix(e.Rule, "beneficiary/v3") {
		t.Errorf("the redirected retry's evaluation = %+v", e)
	}
}

func TestUnreviewedCurrencies(t *testing.T) {
	policy, err := ParsePolicy("INR=200000.00, IDR=100000000")
	if err != nil {
		t.Fatal(err)
	}
	un := policy.Unreviewed()
	if len(un) != len(Currencies())-2 || slices.Contains(un, "INR") || !slices.Contains(un, "PHP") {
		t.Errorf("Unreviewed = %v, want every currency but INR and IDR", un)
	}
}
