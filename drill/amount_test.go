package drill

import (
	"testing"

	"payops/adapters/sandbox"
)

// A drill passes on amounts only when every payout the provider underpaid
// has exactly one amount case and no payout paid in full has any.
func TestAmountCasesJudged(t *testing.T) {
	refs := []string{"A", "B", "C", "D"}
	truth := map[string]sandbox.Truth{"A": {Underpaid: true}, "B": {Underpaid: true}, "C": {}, "D": {}}
	tests := []struct {
		name             string
		cases            map[string]int
		missing, strayed int
	}{
		{"each underpaid payout has its case", map[string]int{"A": 1, "B": 1}, 0, 0},
		{"one case missing", map[string]int{"A": 1}, 1, 0},
		{"a case opened twice", map[string]int{"A": 2, "B": 1}, 1, 0},
		{"a case on a payout paid in full", map[string]int{"A": 1, "B": 1, "D": 1}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Report
			r.amountCases(refs, truth, tt.cases)
			if r.Underpaid != 2 || r.MissingAmountCases != tt.missing || r.StrayAmountCases != tt.strayed {
				t.Errorf("underpaid %d, missing %d, stray %d; want 2, %d, %d", r.Underpaid, r.MissingAmountCases,
					r.StrayAmountCases, tt.missing, tt.strayed)
			}
			if ok := r.OK(); ok != (tt.missing == 0 && tt.strayed == 0) {
				t.Errorf("OK() = %v", ok)
			}
		})
	}
}
