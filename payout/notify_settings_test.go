package payout

import (
	"slices"
	"strings"
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
			got, errs := ParseNotifyForm(tt.kind, tt.form, prev, EndpointPolicy{})
			var fields []string
			for f := range errs {
				fields = append(fields, f)
			}
			slices.Sort(fields)
			if !slices.Equal(fields, tt.wantErrs) {
				t.Fatalf("errors %v, want %v", errs, tt.wantErrs)
			}
			if msg := errs["chat"]; strings.Contains(msg, "/hooks/") {
				t.Errorf("the message repeats the URL: %q", msg)
			}
			if len(errs) == 0 && (!slices.Equal(got.ChatURLs, tt.wantChat) || got.ReminderMinutes != tt.wantRem) {
				t.Errorf("got chat %v reminder %d, want %v %d", got.ChatURLs, got.ReminderMinutes, tt.wantChat, tt.wantRem)
			}
		})
	}
}

// Chat webhooks are held to the outbound webhooks' endpoint policy: https
// to a public address, unless private targets are allowed; the message
// never repeats the URL.
func TestParseNotifyFormHoldsChatToThePolicy(t *testing.T) {
	strict, lax := EndpointPolicy{}, EndpointPolicy{AllowPrivate: true}
	for _, tt := range []struct {
		url    string
		policy EndpointPolicy
		ok     bool
	}{
		{"https://hooks.example.com/services/x", strict, true},
		{"http://hooks.example.com/services/x", strict, false},
		{"https://10.1.2.3/hooks/x", strict, false},
		{"https://127.0.0.1:8443/hooks/x", strict, false},
		{"https://169.254.169.254/hooks/x", strict, false},
		{"https://user:pw@hooks.example.com/hooks/x", strict, false},
		{"http://127.0.0.1:9/hooks/x", lax, true},
	} {
		got, errs := ParseNotifyForm(CondDrillFailed, NotifyForm{Chat: tt.url, Reminder: "5"}, NotifySettings{}, tt.policy)
		if ok := len(errs) == 0; ok != tt.ok {
			t.Errorf("%s (allow private %v): errors %v, want ok %v", tt.url, tt.policy.AllowPrivate, errs, tt.ok)
		}
		if tt.ok && !slices.Equal(got.ChatURLs, []string{tt.url}) {
			t.Errorf("%s: chat %v", tt.url, got.ChatURLs)
		}
		if msg := errs["chat"]; strings.Contains(msg, "/hooks/") || strings.Contains(msg, "pw") {
			t.Errorf("the message repeats the URL: %q", msg)
		}
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
