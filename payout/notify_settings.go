package payout

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// NotifySettings is how people are told of one kind of condition, as an
// admin sets it on /settings/notifications.
type NotifySettings struct {
	Kind             ConditionKind
	Email            bool
	ChatURLs         []string
	ReminderMinutes  int // 0: no reminders
	ThresholdCount   int
	ThresholdMinutes int
}

// Limits of the settings.
const (
	MaxReminderMinutes  = 7 * 24 * 60
	MaxThresholdMinutes = 7 * 24 * 60
	MaxChatURLs         = 5
)

// HasThresholds reports whether conditions of the kind have thresholds to
// set: how many, for how long.
func (k ConditionKind) HasThresholds() bool { return k == CondStuck || k == CondWebhookRejections }

// NotifyForm is the settings form of one kind as it was typed.
type NotifyForm struct {
	Email            bool
	Chat             string // one URL a line; "" keeps the URLs set
	ClearChat        bool   // remove every chat webhook
	Reminder         string // minutes
	ThresholdCount   string
	ThresholdMinutes string
}

// ParseNotifyForm returns the settings of kind from form, keeping the chat
// URLs of prev when the form names none, or a message a field (email,
// chat, reminder, threshold_count, threshold_minutes) for what is wrong.
// Chat URLs are held to policy, as outbound webhook endpoints are.
func ParseNotifyForm(kind ConditionKind, f NotifyForm, prev NotifySettings, policy EndpointPolicy) (NotifySettings, map[string]string) {
	out := NotifySettings{Kind: kind, Email: f.Email, ChatURLs: prev.ChatURLs,
		ThresholdCount: max(prev.ThresholdCount, 1), ThresholdMinutes: prev.ThresholdMinutes}
	errs := map[string]string{}
	if f.ClearChat {
		out.ChatURLs = nil
	}
	if lines := strings.Fields(f.Chat); len(lines) > 0 {
		out.ChatURLs = nil
		for _, l := range lines {
			if err := policy.CheckChatURL(l); err != nil {
				errs["chat"] = upper(err.Error()) + "."
				break
			}
			out.ChatURLs = append(out.ChatURLs, l)
		}
		if len(out.ChatURLs) > MaxChatURLs {
			errs["chat"] = fmt.Sprintf("At most %d chat webhooks a condition.", MaxChatURLs)
		}
	}
	var ok bool
	if out.ReminderMinutes, ok = wholeIn(f.Reminder, 0, MaxReminderMinutes); !ok {
		errs["reminder"] = fmt.Sprintf("Minutes from 0 (no reminders) to %d (a week).", MaxReminderMinutes)
	}
	if kind.HasThresholds() {
		if out.ThresholdCount, ok = wholeIn(f.ThresholdCount, 1, 1_000_000); !ok {
			errs["threshold_count"] = "A whole number of at least 1."
		}
		if out.ThresholdMinutes, ok = wholeIn(f.ThresholdMinutes, 0, MaxThresholdMinutes); !ok {
			errs["threshold_minutes"] = fmt.Sprintf("Minutes from 0 to %d (a week).", MaxThresholdMinutes)
		}
	}
	return out, errs
}

// CheckChatURL returns an error saying what is wrong with a chat webhook
// URL: it must be an absolute https URL with a host, to an address the
// policy allows (http and private addresses only with AllowPrivate, as for
// outbound webhook endpoints; a host name is checked again on the address
// each connection is made to, outbound.Transport). The error never repeats
// the URL (it is a secret).
func (p EndpointPolicy) CheckChatURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("a chat webhook is an https:// URL with a host, such as https://hooks.slack.com/services/…")
	}
	if _, err := p.CheckURL(s); err != nil {
		return fmt.Errorf("chat webhook refused: %s", strings.TrimPrefix(err.Error(), ErrEndpointRefused.Error()+": "))
	}
	return nil
}

// MaskURL shows a secret URL as its scheme, host and the last four
// characters: "https://hooks.slack.com/…WxYz".
func MaskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return Mask(s)
	}
	rest := strings.TrimPrefix(s, u.Scheme+"://"+u.Host)
	if len(rest) <= 4 {
		return u.Scheme + "://" + u.Host + "/…"
	}
	return u.Scheme + "://" + u.Host + "/…" + rest[len(rest)-4:]
}

func wholeIn(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= lo && n <= hi
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
