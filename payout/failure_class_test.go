package payout

import (
	"strings"
	"testing"
)

func TestFailureClasses(t *testing.T) {
	tests := []struct {
		class    FailureClass
		label    string
		resubmit bool
	}{
		{FailFunding, "funding", false},
		{FailBeneficiary, "beneficiary or account", true},
		{FailRequest, "request", true},
		{FailAuth, "authentication", false},
		{FailTransient, "provider or transient", false},
		{FailUnknown, "unknown", false},
	}
	if len(FailureClasses) != len(tests) {
		t.Fatalf("FailureClasses has %d classes, the test %d", len(FailureClasses), len(tests))
	}
	for i, tt := range tests {
		if FailureClasses[i] != tt.class {
			t.Errorf("FailureClasses[%d] = %q, want %q", i, FailureClasses[i], tt.class)
		}
		if got := tt.class.Label(); got != tt.label {
			t.Errorf("%s.Label() = %q, want %q", tt.class, got, tt.label)
		}
		if got := tt.class.ResubmitAsNew(); got != tt.resubmit {
			t.Errorf("%s.ResubmitAsNew() = %v, want %v", tt.class, got, tt.resubmit)
		}
		if got, err := ParseFailureClass(string(tt.class)); err != nil || got != tt.class {
			t.Errorf("ParseFailureClass(%q) = %q, %v", tt.class, got, err)
		}
	}
	if _, err := ParseFailureClass("network"); err == nil {
		t.Error(`ParseFailureClass("network") = nil error, want one`)
	}
}

// Every class says what comes next, and only the classes sent again as new
// instructions say Send again.
func TestEveryFailureClassHasANextStep(t *testing.T) {
	for _, c := range FailureClasses {
		step := c.NextStep()
		if step == "" || strings.Contains(step, "Send again") != c.ResubmitAsNew() {
			t.Errorf("%s: %q", c, step)
		}
	}
}
