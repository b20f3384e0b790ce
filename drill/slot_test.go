package drill

import (
	"testing"

	"payops/adapters"
	"payops/payout"
)

// The drill provider classifies failures as the sandbox does, with no drill
// running too.
func TestSlotClassifiesFailures(t *testing.T) {
	reg := adapters.Registry{payout.DrillProvider: &Slot{}}
	tests := []struct {
		code string
		want payout.FailureClass
	}{
		{"BENEFICIARY_ACCOUNT_CLOSED", payout.FailBeneficiary},
		{"SOMETHING_ELSE", payout.FailUnknown},
		{"", payout.FailUnknown},
	}
	for _, tt := range tests {
		if got := reg.ClassifyFailure(payout.DrillProvider, tt.code); got != tt.want {
			t.Errorf("ClassifyFailure(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}
