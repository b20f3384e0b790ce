package payout

import (
	"strings"
	"testing"
)

func TestNextApproval(t *testing.T) {
	first := []Approval{{UserID: 1, Note: "source of funds checked"}}
	tests := []struct {
		name    string
		needed  int
		prior   []Approval
		user    int64
		refused bool
		final   bool
	}{
		{"no rule: one approval releases", 0, nil, 1, false, true},
		{"one needed", 1, nil, 1, false, true},
		{"two needed, the first", 2, nil, 1, false, false},
		{"two needed, the same person again", 2, first, 1, true, false},
		{"two needed, a second person", 2, first, 2, false, true},
		{"rule lowered to one after an approval: the next person releases", 1, first, 2, false, true},
		{"rule removed after an approval", 0, first, 2, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextApproval(tt.needed, tt.prior, tt.user)
			if (got.Refused != "") != tt.refused || got.Final != tt.final {
				t.Fatalf("NextApproval = %+v, want refused %v final %v", got, tt.refused, tt.final)
			}
			if len(got.Earlier) != len(tt.prior) {
				t.Errorf("the approver sees %d earlier notes, want %d", len(got.Earlier), len(tt.prior))
			}
		})
	}
}

func TestLaunchDocumentRulesInTheGates(t *testing.T) {
	no := false
	complete := Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234", TaxArtifact: TaxMissing}
	inr := func(minor int64) Money { return Money{Minor: minor, Currency: "INR"} }
	doc := func(edit func(d *LaunchDoc)) MarketLaunch {
		d := LaunchDoc{Market: "IN", Program: DefaultProgram, Live: true}
		edit(&d)
		return MarketLaunch{Live: true, State: "live by version 2", Doc: &d}
	}
	twoAt := doc(func(d *LaunchDoc) {
		d.Approvals = []ApprovalRule{{Currency: "INR", AtOrAbove: "1000.00", Approvers: 2}}
		d.TaxArtifactsRequired = &no
	})
	policy, _ := ParsePolicy("INR=200000.00")
	tests := []struct {
		name   string
		launch MarketLaunch
		amount Money
		failed []Reason
		answer string
	}{
		{"tax not required", doc(func(d *LaunchDoc) { d.TaxArtifactsRequired = &no }), inr(100), nil, ""},
		{"tax required", doc(func(d *LaunchDoc) {}), inr(100), []Reason{ReasonTax}, "tax artifact is missing"},
		{"tax not among the gates", doc(func(d *LaunchDoc) { d.Gates = []Reason{ReasonReview} }), inr(100), nil, ""},
		{"review not among the gates", doc(func(d *LaunchDoc) { d.Gates = []Reason{ReasonMarket} }), inr(90000000), nil, ""},
		{"an approval rule under the threshold", twoAt, inr(100000), []Reason{ReasonReview}, "2 compliance approvals"},
		{"under the approval rule", twoAt, inr(99999), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evals := policy.Evaluate(GateInput{Amount: tt.amount, Market: "IN", Launch: tt.launch, Beneficiary: complete})
			fails := Failures(evals)
			if len(fails) != len(tt.failed) {
				t.Fatalf("failed gates = %+v, want %v", fails, tt.failed)
			}
			for i, f := range fails {
				if f.Gate != tt.failed[i] || !strings.Contains(f.Answer, tt.answer) {
					t.Errorf("failure %d = %s %q, want %s containing %q", i, f.Gate, f.Answer, tt.failed[i], tt.answer)
				}
			}
		})
	}
}

func TestUnblockEvidenceAndBulkRules(t *testing.T) {
	d := LaunchDoc{Market: "IN", Program: DefaultProgram,
		HoldReasons: []HoldRule{{Reason: ReasonBeneficiary, UnblockEvidence: "a bank statement showing the account"}},
		Approvals: []ApprovalRule{{Currency: "INR", AtOrAbove: "1000.00", Approvers: 2},
			{Currency: "IDR", AtOrAbove: "1000000", Approvers: 1, Bulk: true}}}
	l := MarketLaunch{Doc: &d}
	if why := l.UnblockRefusal(ReasonBeneficiary, 0); !strings.Contains(why, "a bank statement") {
		t.Errorf("no evidence attached: %q, want the requirement named", why)
	}
	if why := l.UnblockRefusal(ReasonBeneficiary, 1); why != "" {
		t.Errorf("evidence attached: %q, want release allowed", why)
	}
	if why := l.UnblockRefusal(ReasonTax, 0); why != "" {
		t.Errorf("a reason without a requirement: %q", why)
	}
	if why := (MarketLaunch{}).UnblockRefusal(ReasonTax, 0); why != "" {
		t.Errorf("no document: %q", why)
	}
	if why := d.BulkRefusal(Money{Minor: 100000, Currency: "INR"}); !strings.Contains(why, "payout's page") {
		t.Errorf("bulk under a rule without bulk: %q", why)
	}
	if why := d.BulkRefusal(Money{Minor: 100000000, Currency: "IDR"}); why != "" {
		t.Errorf("bulk under a rule allowing it: %q", why)
	}
	if why := d.BulkRefusal(Money{Minor: 100, Currency: "INR"}); why != "" {
		t.Errorf("bulk under no rule: %q", why)
	}
}

func TestFourEyesCountsEarlierApprovers(t *testing.T) {
	if why := FourEyes(7, HoldHands{ApprovedBy: []int64{7}}); why == "" {
		t.Error("the first approver may give the second approval")
	}
	if why := FourEyes(8, HoldHands{ApprovedBy: []int64{7}}); why != "" {
		t.Errorf("a second person refused: %q", why)
	}
}
