package payout

import (
	"strings"
	"testing"
)

func TestCompareAmount(t *testing.T) {
	inr := func(minor int64) *Money { return &Money{Minor: minor, Currency: "INR"} }
	ours := Money{Minor: 100000, Currency: "INR"}
	tests := []struct {
		name     string
		theirs   *Money
		differs  bool
		kind     string
		diff     int64
		contains string
	}{
		{"none stated", nil, false, "", 0, ""},
		{"equal", inr(100000), false, "", 0, ""},
		{"underpaid", inr(90000), true, Underpayment, -10000, "razorpayx states 900.00 INR for R1, 100.00 INR less than its 1,000.00 INR (underpayment)"},
		{"overpaid by a paisa", inr(100001), true, Overpayment, 1, "0.01 INR more than its 1,000.00 INR (overpayment)"},
		{"another currency", &Money{Minor: 100000, Currency: "USD"}, true, CurrencyMismatch, 0, "1,000.00 USD for R1, a payout of 1,000.00 INR (another currency)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, differs := CompareAmount(ours, tt.theirs)
			if differs != tt.differs {
				t.Fatalf("differs = %v, want %v", differs, tt.differs)
			}
			if !differs {
				return
			}
			if m.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", m.Kind, tt.kind)
			}
			if tt.kind == CurrencyMismatch {
				if m.Difference != nil {
					t.Errorf("difference = %v, want none across currencies", m.Difference)
				}
			} else if m.Difference == nil || m.Difference.Minor != tt.diff {
				t.Errorf("difference = %v, want %d", m.Difference, tt.diff)
			}
			if got := m.Summary("R1", "razorpayx"); !strings.Contains(got, tt.contains) {
				t.Errorf("summary = %q, want it to say %q", got, tt.contains)
			}
			ev := m.Evidence()
			if ev["ours"] != "1,000.00 INR" || ev["difference"] == nil {
				t.Errorf("evidence = %v", ev)
			}
		})
	}
}
