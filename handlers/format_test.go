package handlers

import (
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// One format for durations across the dashboard: jobs' runs, drills, ages
// and thresholds.
func TestSpan(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0 ms"},
		{350 * time.Millisecond, "350 ms"},
		{time.Second, "1 s"},
		{9*time.Second + 50*time.Millisecond, "9 s"},
		{4269 * time.Millisecond, "4.2 s"},
		{9999 * time.Millisecond, "9.9 s"},
		{10 * time.Second, "10 s"},
		{59*time.Second + 900*time.Millisecond, "59 s"},
		{time.Minute, "1 min"},
		{3*time.Minute + 5*time.Second, "3 min 5 s"},
		{10 * time.Minute, "10 min"},
		{time.Hour, "1 h"},
		{2*time.Hour + 10*time.Minute + 30*time.Second, "2 h 10 min"},
		{24 * time.Hour, "1 d"},
		{76 * time.Hour, "3 d 4 h"},
		{-90 * time.Second, "1 min 30 s"},
	}
	for _, tt := range tests {
		if got := span(tt.in); got != tt.want {
			t.Errorf("span(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		before time.Duration
		want   string
	}{
		{30 * time.Second, "just now"},
		{42*time.Minute + 50*time.Second, "42 min"},
		{3*time.Hour + 5*time.Minute + 59*time.Second, "3 h 5 min"},
		{3 * time.Hour, "3 h"},
		{52 * time.Hour, "2 d 4 h"},
	}
	for _, tt := range tests {
		if got := ago(now, now.Add(-tt.before)); got != tt.want {
			t.Errorf("ago(%v before) = %q, want %q", tt.before, got, tt.want)
		}
	}
}

// A half-open breaker with no probe out says the next payout probes it,
// not that something is being probed.
func TestStateWhyOfACooledBreaker(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	cooled := store.ProviderHealth{BreakerRetryAt: &past}
	if got := stateWhy(payout.HealthDegraded, cooled, now); !strings.Contains(got, "next payout sent here is the probe") {
		t.Errorf("cooled breaker: %q", got)
	}
	probing := store.ProviderHealth{BreakerRetryAt: &past, ProbeUntil: &future}
	if got := stateWhy(payout.HealthDegraded, probing, now); !strings.Contains(got, "being probed") {
		t.Errorf("probe out: %q", got)
	}
}

// Times a stored text wrote in UTC read in the user's zone, as every other
// time on the page; a UTC reader's text is left as it is.
func TestLocalStamps(t *testing.T) {
	ist, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	in := "PROCESSING at sandbox since 2026-12-02 21:45 UTC, no answer"
	if got, want := (User{Zone: ist}).localStamps(in), "PROCESSING at sandbox since 2026-12-03 03:15 IST (UTC+05:30), no answer"; got != want {
		t.Errorf("IST: %q, want %q", got, want)
	}
	if got := (User{}).localStamps(in); got != in {
		t.Errorf("UTC: %q", got)
	}
	kv := evidenceKVs(User{Zone: ist}, []byte(`{"last_change":"2026-12-02T21:45:51Z","status":"PROCESSING"}`))
	if len(kv) != 2 || kv[0].Value != "2026-12-03 03:15:51 IST (UTC+05:30)" {
		t.Errorf("evidence %+v", kv)
	}
}
