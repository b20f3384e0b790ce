package payout

import (
	"strings"
	"testing"
	"time"
)

func TestStateOfDay(t *testing.T) {
	tests := []struct {
		name                  string
		reconciled, signedOff bool
		open                  int
		ties                  bool
		want                  DayState
	}{
		{"never reconciled", false, false, 0, false, DayNotReconciled},
		{"open differences", true, false, 3, false, DayOpen},
		{"ties", true, false, 0, true, DayTies},
		{"every difference closed", true, false, 0, false, DayResolved},
		{"signed off", true, true, 0, false, DaySignedOff},
		{"signed off though it tied", true, true, 0, true, DaySignedOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StateOfDay(tt.reconciled, tt.signedOff, tt.open, tt.ties); got != tt.want {
				t.Errorf("StateOfDay = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNextStep(t *testing.T) {
	tests := []struct {
		state DayState
		feed  DayFeed
		want  DayStep
	}{
		{DayOpen, FeedList, StepResolve},
		{DayOpen, FeedReport, StepResolve},
		{DayOpen, FeedGone, StepResolve}, // its differences are still finance's
		{DayTies, FeedList, StepSignOff},
		{DayResolved, FeedReport, StepSignOff},
		{DayResolved, FeedGone, StepSignOff},
		{DaySignedOff, FeedList, StepNone},
		{DaySignedOff, FeedReport, StepNone},
		{DayNotReconciled, FeedList, StepRun},
		{DayNotReconciled, FeedReport, StepUpload},
		{DayNotReconciled, FeedGone, StepNone},
	}
	for _, tt := range tests {
		t.Run(string(tt.state)+"/"+string(tt.feed), func(t *testing.T) {
			if got := NextStep(tt.state, tt.feed); got != tt.want {
				t.Errorf("NextStep(%s, %s) = %q, want %q", tt.state, tt.feed, got, tt.want)
			}
		})
	}
}

func TestVersionReadOnly(t *testing.T) {
	tests := []struct {
		name            string
		version, latest int
		signedOffBy     string
		want            string
	}{
		{"the latest, open", 2, 2, "", ""},
		{"an older version", 1, 2, "", "version 1 of the day is kept as it was: work on the latest, version 2"},
		{"signed off", 2, 2, "fin@example.com",
			"the day was signed off by fin@example.com: it is read-only; run it again for a new version"},
		{"an older version, signed off", 1, 2, "fin@example.com",
			"the day was signed off by fin@example.com: it is read-only; run it again for a new version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VersionReadOnly(tt.version, tt.latest, tt.signedOffBy); got != tt.want {
				t.Errorf("VersionReadOnly = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReportedOnAnotherDay(t *testing.T) {
	got := ReportedOnAnotherDay(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), 2)
	want := "Reported by the provider on 2026-12-03 and matched there (version 2): sent near midnight, it is counted on that day."
	if got != want {
		t.Fatalf("note = %q, want %q", got, want)
	}
}

func TestSamePayoutAtProvider(t *testing.T) {
	for _, c := range []struct {
		ours, theirs string
		want         bool
	}{{"", "", true}, {"pp-1", "", true}, {"", "pp-1", true}, {"pp-1", "pp-1", true}, {"pp-1", "pp-2", false}} {
		if got := SamePayoutAtProvider(c.ours, c.theirs); got != c.want {
			t.Errorf("SamePayoutAtProvider(%q, %q) = %v, want %v", c.ours, c.theirs, got, c.want)
		}
	}
}

func TestProviderSideWarning(t *testing.T) {
	for _, c := range []struct {
		side ProviderSide
		want string
	}{
		{ProviderSide{FromReport: true, Ours: 3}, "has no rows"},
		{ProviderSide{FromReport: true}, ""}, // nothing sent, nothing reported: right
		{ProviderSide{}, ""},                 // a list with nothing that day
		{ProviderSide{FromReport: true, Records: 11, Unmatched: 11, Ours: 4}, "None of the provider's 11 records matched a payout of razorpayx"},
		{ProviderSide{Records: 3, Unmatched: 3}, "None of the provider's 3 records"},
		{ProviderSide{FromReport: true, Records: 5, Unmatched: 1, OtherDays: 4, Ours: 6}, "4 are payouts of other days"},
		{ProviderSide{FromReport: true, Records: 5, OtherDays: 5}, ""}, // nothing sent this day: late settlements
		{ProviderSide{FromReport: true, Records: 11, Unmatched: 2, OtherDays: 1, Ours: 9}, ""},
	} {
		got := ProviderSideWarning("razorpayx", c.side)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.side, got, c.want)
		}
	}
}
