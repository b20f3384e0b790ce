package payout

import (
	"strings"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	tests := []struct {
		in   string
		want Retention
		err  string
	}{
		{DefaultRetention, Retention{"webhook_deliveries": 6, "payout_events": 84, "audit_log": 84, "gate_evaluations": 84}, ""},
		{" audit_log = 2y ,", Retention{"audit_log": 24}, ""},
		{"", Retention{}, ""},
		{"ledger_entries=1y", nil, "never archived"},
		{"job_runs=1m", nil, "not one of"},
		{"audit_log=7", nil, "months (6m)"},
		{"audit_log=0m", nil, "from 1"},
		{"audit_log", nil, "want table=6m"},
	}
	for _, tt := range tests {
		got, err := ParseRetention(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%q: got %v, %v; want %v", tt.in, got, err, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%q: %s = %d, want %d", tt.in, k, got[k], v)
			}
		}
	}
}

func TestRetentionDue(t *testing.T) {
	r := Retention{"webhook_deliveries": 6}
	may := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		table string
		now   time.Time
		want  bool
	}{
		{"webhook_deliveries", time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC), false},
		{"webhook_deliveries", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), true},
		{"audit_log", time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		if got := r.Due(tt.table, may, tt.now); got != tt.want {
			t.Errorf("%s of May 2026 at %s: due %v, want %v", tt.table, tt.now, got, tt.want)
		}
	}
}

func TestRetentionDueAtAndKeeps(t *testing.T) {
	r, err := ParseRetention("webhook_deliveries=6m,audit_log=7y,gate_evaluations=1m,payout_events=18m")
	if err != nil {
		t.Fatal(err)
	}
	may := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if at, ok := r.DueAt("webhook_deliveries", may); !ok || !at.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("deliveries of May 2026 due at %s, %v; want 2026-12-01", at, ok)
	}
	if at, ok := r.DueAt("ledger_entries", may); ok {
		t.Errorf("the ledger is due at %s; want never", at)
	}
	for table, want := range map[string]string{"webhook_deliveries": "6 months", "audit_log": "7 years",
		"gate_evaluations": "1 month", "payout_events": "18 months", "ledger_entries": "for ever"} {
		if got := r.Keeps(table); got != want {
			t.Errorf("Keeps(%s) = %q, want %q", table, got, want)
		}
	}
}

func TestRetentionStringReadsBack(t *testing.T) {
	for _, in := range []string{DefaultRetention, "webhook_deliveries=18m,audit_log=1y", ""} {
		r, err := ParseRetention(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.String(); got != in {
			t.Errorf("ParseRetention(%q).String() = %q", in, got)
		}
	}
}
