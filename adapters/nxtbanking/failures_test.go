package nxtbanking

import (
	"testing"

	"payops/adapters"
	"payops/payout"
)

var _ adapters.FailureClassifier = (*Client)(nil)

func TestClassifyFailure(t *testing.T) {
	// Seed 000 lists no NxtBanking failure codes, only a free-text
	// failure_reason: every code is unknown until NxtBanking's are known.
	if len(failureClasses) != 0 {
		t.Errorf("the table has %d codes seed 000 does not list; add them to this test", len(failureClasses))
	}
	tests := []struct {
		code string
		want payout.FailureClass
	}{
		{"BENEFICIARY_ACCOUNT_CLOSED", payout.FailUnknown}, // the sandbox's code, not NxtBanking's
		{"INSUFFICIENT_BALANCE", payout.FailUnknown},
		{"", payout.FailUnknown},
	}
	c := NewClient(Config{})
	for _, tt := range tests {
		if got := c.ClassifyFailure(tt.code); got != tt.want {
			t.Errorf("ClassifyFailure(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

// A client of a server with codes of its own classifies by Config.Classify.
func TestClassifyFailureConfigured(t *testing.T) {
	own := adapters.FailureTable{"ACCOUNT_GONE": payout.FailBeneficiary}
	c := NewClient(Config{Name: "sandbox", Classify: own.Classify})
	tests := []struct {
		code string
		want payout.FailureClass
	}{
		{"ACCOUNT_GONE", payout.FailBeneficiary},
		{"account_gone", payout.FailBeneficiary},
		{"OTHER", payout.FailUnknown},
		{"", payout.FailUnknown},
	}
	for _, tt := range tests {
		if got := adapters.ClassifyFailure(c, tt.code); got != tt.want {
			t.Errorf("ClassifyFailure(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}
