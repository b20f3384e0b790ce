package drill

import (
	"testing"

	"payops/adapters/sandbox"
)

// A converging drill says what each payout not agreeing yet waits for.
func TestDisagreementSaysWhy(t *testing.T) {
	const ref = "DR-00001"
	utr, amount := "UTR1", amountFor(ref).Decimal()
	succeeded := apiPayout{Status: "SUCCEEDED", UTR: &utr, Ledger: []apiEntry{{1, "succeeded", "debit", amount, "INR"},
		{1, "succeeded", "credit", amount, "INR"}}}
	fundsHeld := apiPayout{Status: "HELD", Holds: []apiHold{{"insufficient_funds", "open"}}}
	tests := []struct {
		name    string
		p       apiPayout
		truth   sandbox.Truth
		sent    bool
		want    why
		refused bool
	}{
		{"queued in payops, unknown to the provider", apiPayout{Status: "QUEUED"}, sandbox.Truth{}, false, notSent, false},
		{"held for funds, refused by the provider: agrees", fundsHeld, sandbox.Truth{}, false, agrees, true},
		{"held for funds, never refused by the provider", fundsHeld, sandbox.Truth{}, false, notSent, false},
		{"a posting of another amount", apiPayout{Status: "SUCCEEDED", UTR: &utr, Ledger: []apiEntry{
			{1, "succeeded", "debit", "1.00", "INR"}, {1, "succeeded", "credit", "1.00", "INR"}}},
			sandbox.Truth{Status: "SUCCESS", UTR: utr}, true, other, false},
		{"queued in payops, processing at the provider", apiPayout{Status: "QUEUED"},
			sandbox.Truth{Status: "PROCESSING"}, true, atProvider, false},
		{"processing in payops, succeeded at the provider", apiPayout{Status: "PROCESSING"},
			sandbox.Truth{Status: "SUCCESS", UTR: utr}, true, unheard, false},
		{"succeeded in payops, reversed at the provider", succeeded, sandbox.Truth{Status: "REVERSED", UTR: utr}, true,
			unheard, false},
		{"processing on both sides: agrees", apiPayout{Status: "PROCESSING"}, sandbox.Truth{Status: "PROCESSING"}, true,
			agrees, false},
		{"succeeded on both sides: agrees", succeeded, sandbox.Truth{Status: "SUCCESS", UTR: utr}, true, agrees, false},
		{"another UTR", succeeded, sandbox.Truth{Status: "SUCCESS", UTR: "UTR2"}, true, other, false},
		{"no ledger posting", apiPayout{Status: "SUCCEEDED", UTR: &utr}, sandbox.Truth{Status: "SUCCESS", UTR: utr}, true,
			other, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := disagreement(ref, tt.p, tt.truth, tt.sent, tt.refused)
			if got != tt.want {
				t.Errorf("why = %d, want %d (%s)", got, tt.want, problem)
			}
			if (got == agrees) != (problem == "") {
				t.Errorf("why %d with problem %q", got, problem)
			}
		})
	}
	var w Waiting
	for _, y := range []why{notSent, atProvider, unheard, unheard, other, agrees} {
		w.add(y)
	}
	if w != (Waiting{NotSent: 1, AtProvider: 1, Unheard: 2, Other: 1}) || w.Total() != 5 {
		t.Errorf("waiting %+v, total %d", w, w.Total())
	}
}

// A wait that runs out with nothing pending but the sandbox still settling
// proves nothing: the drill fails, and says it did not converge.
func TestAnUnsettledSandboxFailsTheDrill(t *testing.T) {
	var r Report
	r.explain(nil, nil, false)
	if r.OK() || !r.Unsettled || r.Converged != 0 {
		t.Errorf("report %+v: want failed, unsettled, not converged", r)
	}
	var ok Report
	ok.explain(nil, nil, true)
	if !ok.OK() {
		t.Errorf("settled with nothing pending: %+v, want OK", ok)
	}
}
