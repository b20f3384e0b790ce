package payout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ConditionKind is a kind of condition people are told about: each
// condition is one key of a kind (hold_overdue:42, stuck:xendit), never one
// event, so a storm of events is one condition.
type ConditionKind string

// The kinds of conditions payops notifies about.
const (
	// CondHoldOverdue: an open hold past its SLA or escalated; to its
	// owner, and once escalated to the escalation owner (its owner then).
	CondHoldOverdue ConditionKind = "hold_overdue"
	// CondStuck: a provider with payouts stuck past the threshold; to ops.
	CondStuck ConditionKind = "stuck"
	// CondDayEndDiffs: a reconciled day with open differences not signed
	// off; to finance.
	CondDayEndDiffs ConditionKind = "dayend_differences"
	// CondDrillFailed: the latest finished failure drill failed; to admins.
	CondDrillFailed ConditionKind = "drill_failed"
	// CondWebhookRejections: more webhook signature rejections from a
	// provider than the threshold in the window; to admins.
	CondWebhookRejections ConditionKind = "webhook_rejections"
	// CondEndpointDisabled: an outbound webhook endpoint failing every
	// delivery for EndpointFailingNotice, and one disabled for failing
	// (EndpointFailingLimit), each a condition of its own; to admins and
	// the endpoint's owner.
	CondEndpointDisabled ConditionKind = "endpoint_disabled"
	// CondBalanceLow: a provider's last balance is under BalanceLowFactor
	// times its average daily outflow of the last 7 days; to finance and
	// admins.
	CondBalanceLow ConditionKind = "balance_low"
	// CondCaseOverdue: an open exception case past its SLA or escalated; to
	// its owner, then its escalation owner.
	CondCaseOverdue ConditionKind = "case_overdue"
	// CondDeciderGranted: a user given a deciding role from the dashboard
	// within payout.GrantWait (added, made compliance or admin, enabled, or
	// a password set with an admin's link), while they wait to decide; to compliance
	// and admins, who can have an account they do not recognise disabled.
	CondDeciderGranted ConditionKind = "decider_granted"
)

// ConditionKinds lists every kind, in the settings page's order.
var ConditionKinds = []ConditionKind{CondHoldOverdue, CondStuck, CondDayEndDiffs, CondDrillFailed, CondWebhookRejections,
	CondEndpointDisabled, CondBalanceLow, CondCaseOverdue, CondDeciderGranted}

// conditionInfo is what a kind says of itself.
type conditionInfo struct {
	label    string
	audience []Role // roles told, besides the people a condition names
	named    string // the people a condition names, in words
}

var conditionInfos = map[ConditionKind]conditionInfo{
	CondHoldOverdue:       {label: "Hold past its SLA or escalated", named: "the hold's owner, then its escalation owner"},
	CondStuck:             {label: "Payouts stuck at a provider", audience: []Role{RoleOps}},
	CondDayEndDiffs:       {label: "Day-end reconciliation with differences", audience: []Role{RoleFinance}},
	CondDrillFailed:       {label: "Failure drill failed", audience: []Role{RoleAdmin}},
	CondWebhookRejections: {label: "Webhook signature rejections", audience: []Role{RoleAdmin}},
	CondEndpointDisabled: {label: "Outbound webhook endpoint failing or disabled", audience: []Role{RoleAdmin},
		named: "the endpoint's owner"},
	CondBalanceLow: {label: "Provider balance under 2 days of payouts", audience: []Role{RoleFinance, RoleAdmin}},
	CondCaseOverdue: {label: "Exception case past its SLA or escalated",
		named: "the case's owner, then its escalation owner"},
	CondDeciderGranted: {label: "New four-eyes decider waiting to decide", audience: []Role{RoleCompliance, RoleAdmin}},
}

// ParseConditionKind returns the kind named s, or an error.
func ParseConditionKind(s string) (ConditionKind, error) {
	if _, ok := conditionInfos[ConditionKind(s)]; !ok {
		return "", fmt.Errorf("unknown condition %q", s)
	}
	return ConditionKind(s), nil
}

// Label returns the kind as the pages name it.
func (k ConditionKind) Label() string {
	if i, ok := conditionInfos[k]; ok {
		return i.label
	}
	return string(k)
}

// Audience returns the roles whose active users are told of a condition of
// this kind, besides the people each condition names.
func (k ConditionKind) Audience() []Role { return slices.Clone(conditionInfos[k].audience) }

// Recipients says in words who is told: "finance", "the hold's owner, then
// its escalation owner", "admins, and the endpoint's owner".
func (k ConditionKind) Recipients() string {
	i := conditionInfos[k]
	var who []string
	for _, r := range i.audience {
		who = append(who, audienceNames[r])
	}
	out := strings.Join(who, ", ")
	switch {
	case i.named == "":
		return out
	case out == "":
		return i.named
	}
	return out + ", and " + i.named
}

// audienceNames are the roles as a notice's audience.
var audienceNames = map[Role]string{RoleOps: "ops", RoleFinance: "finance", RoleCompliance: "compliance",
	RoleAdmin: "admins"}

// Notice is which notice a condition's state calls for.
type Notice string

// The notices; NoticeNone sends nothing.
const (
	NoticeNone     Notice = ""
	NoticeStarted  Notice = "started"
	NoticeReminder Notice = "reminder"
	NoticeCleared  Notice = "cleared"
	// NoticeOneOff is a notice sent once by another part of payops (an
	// outbound endpoint disabled), outside any condition's edges.
	NoticeOneOff Notice = "one-off"
)

// ConditionState is what payops remembers of a condition between runs.
type ConditionState struct {
	ActiveSince  *time.Time // nil when not active
	LastNoticeAt *time.Time // the last started or reminder notice
}

// DecideNotice returns the notice a condition calls for, now, given its
// previous state and whether it is active now: started once when it
// starts, a reminder each every while it lasts (none when every is zero or
// less), cleared once when it clears, and nothing otherwise. It is edge-
// triggered: a condition seen active on every run is told once, then
// reminded, however many events keep it active.
func DecideNotice(prev ConditionState, active bool, now time.Time, every time.Duration) Notice {
	switch {
	case active && prev.ActiveSince == nil:
		return NoticeStarted
	case !active && prev.ActiveSince != nil:
		return NoticeCleared
	case !active:
		return NoticeNone
	}
	last := *prev.ActiveSince
	if prev.LastNoticeAt != nil {
		last = *prev.LastNoticeAt
	}
	if every > 0 && !now.Before(last.Add(every)) {
		return NoticeReminder
	}
	return NoticeNone
}

// ClearHoldDown is how long after a condition's last notice (started or
// reminder) its cleared notice waits at the least: a condition hovering at
// its threshold, in and out each minute, is told at most one start and one
// clear in that time, not a pair every minute or two.
const ClearHoldDown = 10 * time.Minute

// ClearDue reports whether a condition no longer active is told cleared
// now: ClearHoldDown after its last notice. Before that it stays active,
// untold; back again meanwhile, it goes on as if it had never gone.
func ClearDue(prev ConditionState, now time.Time) bool {
	return prev.LastNoticeAt == nil || !now.Before(prev.LastNoticeAt.Add(ClearHoldDown))
}

// Joined returns the users in now who are not in told: people a condition
// came to name while it lasted (a hold escalated to its escalation owner),
// who get a started notice of their own.
func Joined(told, now []int64) []int64 {
	var out []int64
	for _, id := range now {
		if !slices.Contains(told, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// DayEndKey is the condition key of provider's business day date (YYYY-MM-DD)
// with open differences: one condition a day, told once when it starts.
func DayEndKey(provider, date string) string {
	return string(CondDayEndDiffs) + ":" + provider + ":" + date
}

// ChatKey names a chat webhook among those told a condition started: the
// SHA-256 of its URL in hex, since the URL is a secret.
func ChatKey(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:])
}

// ChatKeys is the ChatKey of each of urls.
func ChatKeys(urls []string) []string {
	out := make([]string, 0, len(urls))
	for _, u := range urls {
		out = append(out, ChatKey(u))
	}
	return out
}

// UntoldChats are the webhooks of urls not among told (ChatKey's): those
// added since the condition was told it started.
func UntoldChats(urls, told []string) []string {
	var out []string
	for _, u := range urls {
		if !slices.Contains(told, ChatKey(u)) {
			out = append(out, u)
		}
	}
	return out
}
