package payout

import (
	"slices"
	"testing"
	"time"
)

func TestDecideNotice(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := func(m int) *time.Time { v := t0.Add(time.Duration(m) * time.Minute); return &v }
	hour := time.Hour
	tests := []struct {
		name   string
		prev   ConditionState
		active bool
		now    time.Time
		every  time.Duration
		want   Notice
	}{
		{"never active, still not", ConditionState{}, false, t0, hour, NoticeNone},
		{"starts", ConditionState{}, true, t0, hour, NoticeStarted},
		{"lasts, told a minute ago", ConditionState{ActiveSince: at(0), LastNoticeAt: at(0)}, true, *at(1), hour, NoticeNone},
		{"lasts, just short of the interval", ConditionState{ActiveSince: at(0), LastNoticeAt: at(0)}, true, *at(59), hour,
			NoticeNone},
		{"lasts the interval", ConditionState{ActiveSince: at(0), LastNoticeAt: at(0)}, true, *at(60), hour, NoticeReminder},
		{"reminded, counts from the reminder", ConditionState{ActiveSince: at(0), LastNoticeAt: at(60)}, true, *at(100), hour,
			NoticeNone},
		{"second reminder", ConditionState{ActiveSince: at(0), LastNoticeAt: at(60)}, true, *at(121), hour, NoticeReminder},
		{"never told (started not recorded), counts from start", ConditionState{ActiveSince: at(0)}, true, *at(61), hour,
			NoticeReminder},
		{"no reminders when the interval is 0", ConditionState{ActiveSince: at(0), LastNoticeAt: at(0)}, true, *at(600), 0,
			NoticeNone},
		{"clears", ConditionState{ActiveSince: at(0), LastNoticeAt: at(0)}, false, *at(5), hour, NoticeCleared},
		{"cleared, stays clear", ConditionState{LastNoticeAt: at(0)}, false, *at(500), hour, NoticeNone},
		{"starts again after clearing", ConditionState{LastNoticeAt: at(0)}, true, *at(10), hour, NoticeStarted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecideNotice(tt.prev, tt.active, tt.now, tt.every); got != tt.want {
				t.Errorf("DecideNotice = %q, want %q", got, tt.want)
			}
		})
	}
}

// A storm: the condition is seen active on every run for an hour and a
// half; it is told once, reminded once an hour, and cleared once.
func TestDecideNoticeStorm(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var st ConditionState
	var got []Notice
	for m := 0; m <= 95; m++ {
		now := t0.Add(time.Duration(m) * time.Minute)
		n := DecideNotice(st, m < 95, now, time.Hour)
		switch n {
		case NoticeStarted:
			st = ConditionState{ActiveSince: &now, LastNoticeAt: &now}
		case NoticeReminder:
			st.LastNoticeAt = &now
		case NoticeCleared:
			st.ActiveSince = nil
		}
		if n != NoticeNone {
			got = append(got, n)
		}
	}
	want := []Notice{NoticeStarted, NoticeReminder, NoticeCleared}
	if !slices.Equal(got, want) {
		t.Errorf("notices = %v, want %v", got, want)
	}
}

func TestJoined(t *testing.T) {
	tests := []struct {
		told, now, want []int64
	}{
		{nil, []int64{1}, []int64{1}},
		{[]int64{1}, []int64{1}, nil},
		{[]int64{1}, []int64{2}, []int64{2}},
		{[]int64{1}, []int64{1, 2, 2}, []int64{2}},
		{[]int64{1, 2}, nil, nil},
	}
	for _, tt := range tests {
		if got := Joined(tt.told, tt.now); !slices.Equal(got, tt.want) {
			t.Errorf("Joined(%v, %v) = %v, want %v", tt.told, tt.now, got, tt.want)
		}
	}
}

func TestConditionKinds(t *testing.T) {
	for _, k := range ConditionKinds {
		if k.Label() == string(k) {
			t.Errorf("%s has no label", k)
		}
		if k.Recipients() == "" {
			t.Errorf("%s tells nobody", k)
		}
		if got, err := ParseConditionKind(string(k)); err != nil || got != k {
			t.Errorf("ParseConditionKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := ParseConditionKind("nope"); err == nil {
		t.Error("ParseConditionKind(nope) is not an error")
	}
}

func TestConditionRecipients(t *testing.T) {
	for k, want := range map[ConditionKind]string{CondStuck: "ops", CondDayEndDiffs: "finance", CondDrillFailed: "admins",
		CondHoldOverdue: "the hold's owner, then its escalation owner",
		CondCaseOverdue: "the case's owner, then its escalation owner"} {
		if got := k.Recipients(); got != want {
			t.Errorf("%s.Recipients() = %q, want %q", k, got, want)
		}
	}
}

// A condition no longer active is told cleared no sooner than ClearHoldDown
// after its last notice.
func TestClearDue(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	prev := ConditionState{ActiveSince: &at, LastNoticeAt: &at}
	for d, want := range map[time.Duration]bool{time.Minute: false, ClearHoldDown - time.Second: false, ClearHoldDown: true,
		time.Hour: true} {
		if got := ClearDue(prev, at.Add(d)); got != want {
			t.Errorf("%s after the last notice: %v, want %v", d, got, want)
		}
	}
	if !ClearDue(ConditionState{ActiveSince: &at}, at) {
		t.Error("never told: not due")
	}
}
