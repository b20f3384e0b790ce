package payout

import "time"

// Source says where an observation of a payout's status came from.
type Source string

// The sources of observations.
const (
	SourceWebhook Source = "webhook"
	SourcePoll    Source = "poll"
	SourceManual  Source = "manual"
	SourceSystem  Source = "system"
)

// Observation is one report of a payout's state: from a webhook, a poll by
// the reconciler, an operator's re-check, or payops itself.
type Observation struct {
	Source           Source
	ProviderPayoutID string
	RawStatus        string // the provider's own word, kept as evidence
	Status           Status // RawStatus mapped to the canonical state
	UTR              string
	FailureCode      string
	FailureReason    string
	Fee              *Money
	// Amount is the payout's amount as the provider's message states it,
	// read exactly (never through a float); nil when the message states
	// none. apply compares it with the payout's (CompareAmount).
	Amount *Money
	// StateReason is the provider's own reason for its sub-state when the
	// canonical Status hides it, such as why RazorpayX queued a payout
	// (status_details); "" when it gives none.
	StateReason string
	// PendingApproval is set when the provider holds the payout for an
	// approval inside the provider's own workflow (RazorpayX "pending"):
	// Re-check cannot move it; someone at the provider approves or rejects.
	PendingApproval bool
	At              time.Time
	Actor           string // who asked: a user's email, "reconciler", a provider name
}

// Outcome describes what applying an observation did, in words for the
// operator who asked: "moved to SUCCEEDED", "provider says PROCESSING,
// unchanged".
func Outcome(d Decision, from, observed Status, changedMetadata bool) string {
	switch d {
	case Apply:
		return "moved to " + string(observed)
	case Merge:
		if changedMetadata {
			return "provider says " + string(observed) + ", details updated"
		}
		return "provider says " + string(observed) + ", unchanged"
	case Stale:
		return "provider says " + string(observed) + ", older than " + string(from) + "; ignored"
	default:
		return "provider says " + string(observed) + " but payout is " + string(from) + "; recorded as anomaly"
	}
}

// Recorded reports whether applying an observation goes into the payout's
// history, an event on its timeline and an entry in the audit log: always,
// unless it is the reconciler's own poll (SourcePoll) that repeats the state
// payops knows (Merge) and taught it nothing (learned false: no new detail,
// provider sub-state, amount or fee to note). Such a poll only moves the
// payout's last check and answer times, which the stuck list and the
// payout's page show. Otherwise a payout stuck for two days and polled every
// 15 minutes would add 192 events and as many audit entries that say
// "unchanged", and every settled payout re-checked for a late reversal
// several more: most of the history, at a million payouts a day. A
// person's Re-check is always recorded (someone asked), and so is every
// webhook and every poll that failed.
func Recorded(source Source, d Decision, learned bool) bool {
	return source != SourcePoll || d != Merge || learned
}

// FailureRecorded reports whether a look at a payout that got no answer
// from its provider goes into the payout's history (an error event and an
// audit entry): always, unless it is the reconciler's own poll and the look
// before it failed too, for the same reason (sameAsLast). That one only
// moves the payout's last check time; the stuck list still shows the look
// failed, and why, from the first. An outage would otherwise add an event
// and an audit entry per stuck payout at every look while it lasts.
func FailureRecorded(source Source, sameAsLast bool) bool {
	return source != SourcePoll || !sameAsLast
}
