package razorpayx

import (
	"testing"

	"payops/adapters"
	"payops/payout"
)

var _ adapters.FailureClassifier = (*Client)(nil)

func TestClassifyFailure(t *testing.T) {
	// Every cause seed 003 names for a failed payout, by RazorpayX's reason,
	// written out here so that one missing from the table fails.
	tests := []struct {
		code string
		want payout.FailureClass
	}{
		{"insufficient_funds", payout.FailFunding},
		{"beneficiary_bank_down", payout.FailTransient},
		{"gateway_degraded", payout.FailTransient},
		{"BENEFICIARY_BANK_DOWN", payout.FailTransient},
		{"payout_processed", payout.FailUnknown},
		{"", payout.FailUnknown},
	}
	c := NewClient(Config{})
	for _, tt := range tests {
		if got := c.ClassifyFailure(tt.code); got != tt.want {
			t.Errorf("ClassifyFailure(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

// The failure code classified is the one a failed payout's webhook carries.
func TestClassifyFailedWebhook(t *testing.T) {
	p := Payout{ID: "pout_1", Status: "failed", CreatedAt: 1710000040}
	p.StatusDetails = &struct {
		Description string `json:"description"`
		Source      string `json:"source"`
		Reason      string `json:"reason"`
	}{Description: "Beneficiary bank is offline", Source: "beneficiary_bank", Reason: "beneficiary_bank_down"}
	obs, ok := p.observe()
	if !ok {
		t.Fatal("observe refused a failed payout")
	}
	if got, want := NewClient(Config{}).ClassifyFailure(obs.FailureCode), payout.FailTransient; got != want {
		t.Errorf("class of %q = %q, want %q", obs.FailureCode, got, want)
	}
}

// A payout entity without created_at is observed without a time (payops
// dates it when it records it), never as of 1970.
func TestAnObservationWithoutCreatedAtHasNoTime(t *testing.T) {
	obs, ok := Payout{ID: "pout_2", Status: "processed"}.observe()
	if !ok || !obs.At.IsZero() {
		t.Errorf("observed at %v (%v), want no time", obs.At, ok)
	}
	obs, _ = Payout{ID: "pout_3", Status: "processed", CreatedAt: 1710000040}.observe()
	if obs.At.Unix() != 1710000040 {
		t.Errorf("observed at %v, want the entity's created_at", obs.At)
	}
}
