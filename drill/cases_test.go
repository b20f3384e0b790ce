package drill

import (
	"slices"
	"testing"

	"payops/adapters/sandbox"
	"payops/payout"
)

// A drill passes on cases only when every payout the provider failed has
// exactly one failure case, no other payout has one (a payout paused by a
// downtime, never sent, included) and none has an anomaly case.
func TestFailureCasesJudged(t *testing.T) {
	refs := []string{"F", "S", "P", "Q", "R"}
	// P was paused and is still QUEUED at the provider; Q never reached it;
	// R was paid, then reversed: nobody was paid, as F.
	truth := map[string]sandbox.Truth{"F": {Status: "FAILED"}, "S": {Status: "SUCCESS"}, "P": {Status: "QUEUED"},
		"R": {Status: "REVERSED"}}
	tests := []struct {
		name             string
		failed, anomaly  map[string]int
		missing, strayed int
	}{
		{"the failed payout has its case", map[string]int{"F": 1, "R": 1}, nil, 0, 0},
		{"no case for the failed payout", map[string]int{"R": 1}, nil, 1, 0},
		{"no case for the reversed payout", map[string]int{"F": 1}, nil, 1, 0},
		{"two cases for it", map[string]int{"F": 2, "R": 1}, nil, 1, 0},
		{"a failure case on a succeeded payout", map[string]int{"F": 1, "R": 1, "S": 1}, nil, 0, 1},
		{"a failure case on a paused payout", map[string]int{"F": 1, "R": 1, "P": 1}, nil, 0, 1},
		{"a failure case on a payout never received", map[string]int{"F": 1, "R": 1, "Q": 1}, nil, 0, 1},
		{"an anomaly", map[string]int{"F": 1, "R": 1}, map[string]int{"S": 1}, 0, 1},
		{"an anomaly on a failed payout", map[string]int{"F": 1, "R": 1}, map[string]int{"F": 1}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Report
			r.failureCases(refs, truth, tt.failed, tt.anomaly)
			if !r.CasesChecked || r.MissingFailedCases != tt.missing || r.StrayCases != tt.strayed {
				t.Errorf("checked %v, missing %d, stray %d; want true, %d, %d", r.CasesChecked, r.MissingFailedCases,
					r.StrayCases, tt.missing, tt.strayed)
			}
			if ok := r.OK(); ok != (tt.missing == 0 && tt.strayed == 0) {
				t.Errorf("OK() = %v", ok)
			}
		})
	}
}

// Anything sent while paused fails the drill.
func TestSentWhilePausedFails(t *testing.T) {
	if (Report{SentWhilePaused: 1}).OK() {
		t.Error("OK with a payout sent while paused")
	}
	if _, ok := Scenarios["downtime"]; !ok || Descriptions["downtime"] == "" {
		t.Error("no downtime scenario, or no description of it")
	}
}

// The launch checklist's fourth step counts exactly the drills whose
// sandbox disrupts webhooks (payout.ConvergenceDrills).
func TestConvergenceDrillsAreTheCallbackChaos(t *testing.T) {
	var want []string
	for _, name := range Names() {
		c := Scenarios[name]
		if c.DropWebhooks > 0 || c.DuplicateWebhooks > 0 || c.ReorderWebhooks || c.ForgeWebhooks > 0 || c.ReplayWebhooks > 0 {
			want = append(want, name)
		}
	}
	if !slices.Equal(payout.ConvergenceDrills, want) {
		t.Errorf("payout.ConvergenceDrills = %v, the scenarios disrupting webhooks are %v", payout.ConvergenceDrills, want)
	}
}
