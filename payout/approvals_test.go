package payout

import "testing"

func TestNextApproval(t *testing.T) {
	first := []Approval{{UserID: 1, Note: "source of funds checked"}}
	tests := []struct {
		name    string
		needed  int
		prior   []Approval
		user    int64
		refused bool
		final   bool
	}{
		{"no rule: one approval releases", 0, nil, 1, false, true},
		{"one needed", 1, nil, 1, false, true},
		{"two needed, the first", 2, nil, 1, false, false},
		{"two needed, the same person again", 2, first, 1, true, false},
		{"two needed, a second person", 2, first, 2, false, true},
		{"already approved enough", 1, first, 2, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextApproval(tt.needed, tt.prior, tt.user)
			if (got.Refused != "") != tt.refused || got.Final != tt.final {
				t.Fatalf("NextApproval = %+v, want refused %v final %v", got, tt.refused, tt.final)
			}
			if len(got.Earlier) != len(tt.prior) {
				t.Errorf("the approver sees %d earlier notes, want %d", len(got.Earlier), len(tt.prior))
			}
		})
	}
}
