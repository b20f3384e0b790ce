package xendit

import (
	"testing"

	"payops/adapters"
	"payops/payout"
)

var _ adapters.FailureClassifier = (*Client)(nil)

func TestClassifyFailure(t *testing.T) {
	// Every failure code seed 002 lists, written out here so that one missing
	// from the table fails.
	tests := []struct {
		code string
		want payout.FailureClass
	}{
		{"INSUFFICIENT_BALANCE", payout.FailFunding},
		{"INVALID_DESTINATION", payout.FailBeneficiary},
		{"REJECTED_BY_CHANNEL", payout.FailUnknown},
		{"TEMPORARY_TRANSFER_ERROR", payout.FailTransient},
		{"TRANSFER_ERROR", payout.FailRequest},
		{"UNKNOWN_BANK_NETWORK_ERROR", payout.FailUnknown},
		{"DESTINATION_MAXIMUM_LIMIT", payout.FailBeneficiary},
		{"invalid_destination", payout.FailBeneficiary},
		{"COMPLIANCE_REJECTED", payout.FailUnknown},
		{"", payout.FailUnknown},
	}
	c := NewClient(Config{})
	for _, tt := range tests {
		if got := c.ClassifyFailure(tt.code); got != tt.want {
			t.Errorf("ClassifyFailure(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
	// The unknown-by-definition code is in the table, not missing from it.
	if _, ok := failureClasses["UNKNOWN_BANK_NETWORK_ERROR"]; !ok {
		t.Error("UNKNOWN_BANK_NETWORK_ERROR is not in the table")
	}
	// Every code the table classifies is one the adapter explains.
	for code := range failureClasses {
		if failureReasons[code] == "" {
			t.Errorf("%s has a class but no reason", code)
		}
	}
}
