package sandbox_test

import (
	"context"
	"testing"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/payout"
)

func TestClassifyFailure(t *testing.T) {
	// Every failure code the sandbox gives (its Failure fate's), written out
	// here so that one missing from the table fails.
	tests := []struct {
		code string
		want payout.FailureClass
	}{
		{"BENEFICIARY_ACCOUNT_CLOSED", payout.FailBeneficiary},
		{"beneficiary_account_closed", payout.FailBeneficiary},
		{"INVALID_IFSC", payout.FailRequest},
		{"NO_SUCH_CODE", payout.FailUnknown},
		{"", payout.FailUnknown},
	}
	for _, tt := range tests {
		if got := sandbox.ClassifyFailure(tt.code); got != tt.want {
			t.Errorf("ClassifyFailure(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
	if sandbox.FailureCode != "BENEFICIARY_ACCOUNT_CLOSED" || sandbox.InvalidIFSC != "INVALID_IFSC" {
		t.Errorf("the sandbox gives %q and %q, which this test does not list", sandbox.FailureCode, sandbox.InvalidIFSC)
	}
}

// A failed sandbox payout, read through payops' client of the sandbox as
// main builds it, is classified by the code the client stored.
func TestFailedPayoutClassified(t *testing.T) {
	srv, _ := start(t)
	c := nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: srv.URL, APIKey: "k", APISecret: "s",
		Classify: sandbox.ClassifyFailure})
	obs, err := c.Status(context.Background(), adapters.Payout{ProviderPayoutID: idWithFate(t, sandbox.Failure)})
	if err != nil {
		t.Fatal(err)
	}
	if obs.Status != payout.Failed {
		t.Fatalf("status %s, want FAILED", obs.Status)
	}
	reg := adapters.Registry{"sandbox": c}
	if got, want := reg.ClassifyFailure("sandbox", obs.FailureCode), payout.FailBeneficiary; got != want {
		t.Errorf("class of %q = %q, want %q", obs.FailureCode, got, want)
	}
}
