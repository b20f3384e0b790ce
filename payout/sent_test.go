package payout

import (
	"strings"
	"testing"
	"time"
)

func TestSentOutside(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tol := 5 * time.Minute
	tests := []struct {
		name string
		sent time.Time
		want string // "" for accepted, else a word of the reason
	}{
		{"no time given", time.Time{}, ""},
		{"just now", now, ""},
		{"a little late", now.Add(-90 * time.Second), ""},
		{"exactly the tolerance old", now.Add(-tol), ""},
		{"a second too old", now.Add(-tol - time.Second), "before it arrived"},
		{"an hour old", now.Add(-time.Hour), "1h0m0s before"},
		{"the unix epoch", time.Unix(0, 0), "before it arrived"},
		{"a clock a little ahead", now.Add(2 * time.Minute), ""},
		{"exactly the tolerance ahead", now.Add(tol), ""},
		{"too far ahead", now.Add(tol + time.Second), "after it arrived"},
		{"another zone, same instant", now.In(time.FixedZone("IST", 5*3600+1800)), ""},
	}
	for _, tt := range tests {
		got := SentOutside(tt.sent, now, tol)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// An event's making time is held to the provider's retries and the
// tolerance behind, the tolerance ahead.
func TestMadeOutside(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		made    time.Time
		refused string
	}{
		{time.Time{}, ""},
		{now.Add(-23 * time.Hour), ""},
		{now.Add(-24*time.Hour - 4*time.Minute), ""},
		{now.Add(-24*time.Hour - 6*time.Minute), "provider retries"},
		{now.Add(4 * time.Minute), ""},
		{now.Add(6 * time.Minute), "after it arrived"},
	} {
		got := MadeOutside(c.made, now, 5*time.Minute, 24*time.Hour)
		if (got == "") != (c.refused == "") || !strings.Contains(got, c.refused) {
			t.Errorf("made %s: %q, want %q", c.made, got, c.refused)
		}
	}
}
