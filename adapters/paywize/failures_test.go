package paywize

import (
	"testing"

	"payops/adapters"
	"payops/payout"
)

var _ adapters.FailureClassifier = (*Client)(nil)

func TestClassifyFailure(t *testing.T) {
	// Seed 001 lists no Paywize failure codes and payops stores none for
	// Paywize: every code is unknown.
	if len(failureClasses) != 0 {
		t.Errorf("the table has %d codes seed 001 does not list; add them to this test", len(failureClasses))
	}
	tests := []struct {
		code string
		want payout.FailureClass
	}{
		{"FAILED", payout.FailUnknown},
		{"INSUFFICIENT_BALANCE", payout.FailUnknown},
		{"", payout.FailUnknown},
	}
	var c *Client // ClassifyFailure reads no configuration
	for _, tt := range tests {
		if got := c.ClassifyFailure(tt.code); got != tt.want {
			t.Errorf("ClassifyFailure(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

// A failed transaction's observation has no failure code, only the reason.
func TestFailedTransactionHasNoCode(t *testing.T) {
	obs, ok := Transaction{TransactionID: "CBP1", Status: "FAILED", StatusMessage: "Invalid IFSC"}.observe()
	if !ok {
		t.Fatal("observe refused FAILED")
	}
	if obs.FailureCode != "" || obs.FailureReason != "Invalid IFSC" {
		t.Errorf("failure code %q, reason %q", obs.FailureCode, obs.FailureReason)
	}
}
