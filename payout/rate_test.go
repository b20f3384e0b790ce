package payout

import "testing"

func TestSuccessRate(t *testing.T) {
	tests := []struct {
		name     string
		byStatus map[Status]int64
		want     Rate
		percent  string
	}{
		{"nothing at all", nil, Rate{}, "—"},
		{"only open, held and cancelled payouts: nothing settled",
			map[Status]int64{Queued: 4, Processing: 2, Held: 1, Cancelled: 3}, Rate{0, 0}, "—"},
		{"all succeeded", map[Status]int64{Succeeded: 12, Processing: 5}, Rate{12, 12}, "100.0%"},
		{"failed and reversed count against", map[Status]int64{Succeeded: 7, Failed: 2, Reversed: 1}, Rate{7, 10}, "70.0%"},
		{"rounded down: 100% only when none failed", map[Status]int64{Succeeded: 9999, Failed: 1}, Rate{9999, 10000},
			"99.9%"},
		{"one decimal", map[Status]int64{Succeeded: 2, Failed: 1}, Rate{2, 3}, "66.6%"},
		{"none succeeded", map[Status]int64{Failed: 3}, Rate{0, 3}, "0.0%"},
		{"cancelled is not an outcome", map[Status]int64{Succeeded: 1, Cancelled: 9}, Rate{1, 1}, "100.0%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SuccessRate(tt.byStatus)
			if got != tt.want {
				t.Errorf("SuccessRate = %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.percent {
				t.Errorf("String = %q, want %q", s, tt.percent)
			}
		})
	}
}
