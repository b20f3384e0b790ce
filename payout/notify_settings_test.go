package payout

import (
	"slices"
	"testing"
)

func TestParseNotifyForm(t *testing.T) {
	prev := NotifySettings{ChatURLs: []string{"https://hooks.example.com/old"}, ThresholdCount: 10, ThresholdMinutes: 30}
	tests := []struct {
		name     string
		kind     ConditionKind
		form     NotifyForm
		wantErrs []string
		wantChat []string
		wantRem  int
	}{
		{"keeps the chat URLs when none is typed", CondHoldOverdue, NotifyForm{Email: true, Reminder: "240"}, nil,
			prev.ChatURLs, 240},
		{"replaces them", CondDrillFailed, NotifyForm{Chat: " https://a.example/1\nhttps://b.example/2 ", Reminder: "0"},
			nil, []string{"https://a.example/1", "https://b.example/2"}, 0},
		{"clears them", CondDrillFailed, NotifyForm{ClearChat: true, Reminder: "5"}, nil, nil, 5},
		{"a URL that is none", CondDrillFailed, NotifyForm{Chat: "hooks.example.com/x", Reminder: "5"}, []string{"chat"},
			nil, 5},
		{"ftp", CondDrillFailed, NotifyForm{Chat: "ftp://x.example/y", Reminder: "5"}, []string{"chat"}, nil, 5},
		{"reminder not a number", CondStuck, NotifyForm{Reminder: "often", ThresholdCount: "3", ThresholdMinutes: "0"},
			[]string{"reminder"}, prev.ChatURLs, 0},
		{"reminder over a week", CondStuck, NotifyForm{Reminder: "10081", ThresholdCount: "3", ThresholdMinutes: "0"},
			[]string{"reminder"}, prev.ChatURLs, 10081},
		{"thresholds bad", CondWebhookRejections, NotifyForm{Reminder: "60", ThresholdCount: "0", ThresholdMinutes: "-1"},
			[]string{"threshold_count", "threshold_minutes"}, prev.ChatURLs, 60},
		{"thresholds ignored where there are none", CondDrillFailed, NotifyForm{Reminder: "60", ThresholdCount: "x"}, nil,
			prev.ChatURLs, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ParseNotifyForm(tt.kind, tt.form, prev)
			var fields []string
			for f := range errs {
				fields = append(fields, f)
			}
			slices.Sort(fields)
			if !slices.Equal(fields, tt.wantErrs) {
				t.Fatalf("errors %v, want %v", errs, tt.wantErrs)
			}
			if len(errs) == 0 && (!slices.Equal(got.ChatURLs, tt.wantChat) || got.ReminderMinutes != tt.wantRem) {
				t.Errorf("got chat %v reminder %d, want %v %d", got.ChatURLs, got.ReminderMinutes, tt.wantChat, tt.wantRem)
			}
		})
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T000/B000/XXXXsecretWxYz": "https://hooks.slack.com/…WxYz",
		"https://h.example/ab": "https://h.example/…",
		"nonsense-secret":      "XXXXXXXXXXXcret",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}
