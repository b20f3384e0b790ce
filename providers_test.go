package main

import (
	"testing"

	"payops/payout"
)

// The test providers main builds (the sandbox, and the drill provider
// through drillClient) classify failures by the sandbox's codes, NxtBanking
// by its own (none yet).
func TestProvidersClassifyFailures(t *testing.T) {
	sb := sandboxConfig{BaseURL: "http://127.0.0.1:1", WebhookSecret: "w", DrillURL: "http://127.0.0.1:2",
		DrillWebhookSecret: "d"}
	reg, err := buildProviders(env(map[string]string{"PAYOPS_NXTBANKING_API_KEY": "k",
		"PAYOPS_NXTBANKING_API_SECRET": "s", "PAYOPS_NXTBANKING_WEBHOOK_SECRET": "w"}), sb)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		provider string
		want     payout.FailureClass
	}{
		{payout.SandboxProvider, payout.FailBeneficiary},
		{payout.DrillProvider, payout.FailBeneficiary},
		{"nxtbanking", payout.FailUnknown},
	}
	for _, tt := range tests {
		if got := reg.ClassifyFailure(tt.provider, "BENEFICIARY_ACCOUNT_CLOSED"); got != tt.want {
			t.Errorf("%s: class %q, want %q", tt.provider, got, tt.want)
		}
	}
}
