package drill

import (
	"testing"

	"payops/adapters/sandbox"
)

// A converging drill says what each payout not agreeing yet waits for.
func TestDisagreementSaysWhy(t *testing.T) {
	utr := "UTR1"
	succeeded := apiPayout{Status: "SUCCEEDED", UTR: &utr, Ledger: []apiEntry{{1, "succeeded", "debit", "100.00", "INR"}}}
	fundsHeld := apiPayout{Status: "HELD", Holds: []apiHold{{"insufficient_funds", "open"}}}
	tests := []struct {
		name  string
		p     apiPayout
		truth sandbox.Truth
		sent  bool
		want  why
	}{
		{"queued in payops, unknown to the provider", apiPayout{Status: "QUEUED"}, sandbox.Truth{}, false, notSent},
		{"held for funds, refused by the provider: agrees", fundsHeld, sandbox.Truth{}, false, agrees},
		{"queued in payops, processing at the provider", apiPayout{Status: "QUEUED"},
			sandbox.Truth{Status: "PROCESSING"}, true, atProvider},
		{"processing in payops, succeeded at the provider", apiPayout{Status: "PROCESSING"},
			sandbox.Truth{Status: "SUCCESS", UTR: utr}, true, unheard},
		{"succeeded in payops, reversed at the provider", succeeded, sandbox.Truth{Status: "REVERSED", UTR: utr}, true,
			unheard},
		{"processing on both sides: agrees", apiPayout{Status: "PROCESSING"}, sandbox.Truth{Status: "PROCESSING"}, true,
			agrees},
		{"succeeded on both sides: agrees", succeeded, sandbox.Truth{Status: "SUCCESS", UTR: utr}, true, agrees},
		{"another UTR", succeeded, sandbox.Truth{Status: "SUCCESS", UTR: "UTR2"}, true, other},
		{"no ledger posting", apiPayout{Status: "SUCCEEDED", UTR: &utr}, sandbox.Truth{Status: "SUCCESS", UTR: utr}, true,
			other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := disagreement(tt.p, tt.truth, tt.sent)
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
