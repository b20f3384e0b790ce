// Package payout holds payops' domain: canonical payout states, the rule that
// decides whether an observed provider status may move a payout, money, and
// roles. It does no I/O and imports nothing of ours.
package payout

import "fmt"

// Status is a payout's canonical state. Every provider's vocabulary is mapped
// onto these by its adapter.
type Status string

// The canonical states. HELD is payops' own: a payout stopped by a release
// gate before it is sent; no provider ever reports it.
const (
	Queued     Status = "QUEUED"
	Processing Status = "PROCESSING"
	Succeeded  Status = "SUCCEEDED"
	Failed     Status = "FAILED"
	Cancelled  Status = "CANCELLED"
	Reversed   Status = "REVERSED"
	Held       Status = "HELD"
)

// Statuses lists every canonical state in rank order, for filters and tests.
var Statuses = []Status{Held, Queued, Processing, Succeeded, Failed, Cancelled, Reversed}

// ParseStatus returns the Status named s, or an error for anything else.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown payout status %q", s)
}

// rank orders the provider-reported states: an observation may only move a
// payout upward. SUCCEEDED, FAILED and CANCELLED share a rank, so moving
// between them is never an upgrade.
func (s Status) rank() int {
	switch s {
	case Queued:
		return 1
	case Processing:
		return 2
	case Succeeded, Failed, Cancelled:
		return 3
	case Reversed:
		return 4
	}
	return 0
}

// before reports whether a payout that reached the final state final may
// have passed through s first: a reversal returns money that went out
// (Xendit: "rejected by the channel after the payout succeeded"; Paywize's
// REFUNDED, RazorpayX's reversed), after SUCCEEDED or, as Decide accepts,
// FAILED, so every state but CANCELLED comes before REVERSED; a
// cancellation stops a payout before it is sent on, so only QUEUED comes
// before CANCELLED (a PROCESSING or an outcome after CANCELLED contradicts
// it).
func (s Status) before(final Status) bool {
	switch final {
	case Reversed:
		return s == Queued || s == Processing || s == Succeeded || s == Failed
	case Cancelled:
		return s == Queued
	}
	return false
}

// Open reports whether the payout is still waiting on its provider: the
// states in which a payout can be stuck.
func (s Status) Open() bool { return s == Queued || s == Processing }

// Final reports whether no provider observation may move the payout any more.
func (s Status) Final() bool { return s == Cancelled || s == Reversed }

// NotPaid reports whether a payout in s, once sent, paid nobody: FAILED,
// REVERSED (the money came back) or CANCELLED at the provider. Each is a
// failed payout's exception case (store's unpaidAfterSend says the same in
// SQL), and each may be sent again as a new instruction.
func (s Status) NotPaid() bool { return s == Failed || s == Reversed || s == Cancelled }

// Decision is what the transition rule says to do with an observation.
type Decision string

const (
	// Apply moves the payout to the observed state.
	Apply Decision = "applied"
	// Merge keeps the state (the observation repeats it) and merges any new
	// metadata such as a UTR or failure code.
	Merge Decision = "merged"
	// Stale ignores an observation older than what we already know, such as a
	// PROCESSING webhook arriving after SUCCEEDED, or a late SUCCEEDED after
	// REVERSED (a reversed payout was paid first).
	Stale Decision = "stale"
	// Anomaly ignores an observation that contradicts a settled state, such as
	// FAILED after SUCCEEDED, or CANCELLED after REVERSED. It is
	// recorded for an operator to look at and never applied.
	Anomaly Decision = "anomaly"
)

// Decide applies the transition rule to a payout in state current that a
// provider reports in state observed.
func Decide(current, observed Status) Decision {
	switch {
	case observed == Held || observed.rank() == 0:
		// Not a provider state: nothing a provider says may put a payout here.
		return Anomaly
	case current == Held:
		// A held payout was never sent; a provider report about it is wrong.
		return Anomaly
	case current == observed:
		return Merge
	case current.Final() && observed.before(current):
		// A late report of a state the payout passed on its way to a final
		// one: the provider's history, delivered out of order.
		return Stale
	case current.Final():
		return Anomaly
	case observed.rank() > current.rank():
		return Apply
	case observed.rank() == current.rank():
		// SUCCEEDED <-> FAILED <-> CANCELLED: two settled outcomes disagree.
		return Anomaly
	default:
		return Stale
	}
}

// DecideHeld is the rule for a HELD payout the provider may have: a hold
// placed after a submission whose outcome is unknown (a timeout, a worker
// that stopped mid-call, a lease that ran out while the call went on) stops
// only a new send, not what the provider took already. When the provider
// speaks about it, it has it: what it says is applied, as for a payout it
// was sent (and the holds, which can no longer stop it, close). Without
// mayHave a held payout was never sent, and a report about it is an
// anomaly (Decide).
func DecideHeld(provider string, observed Status, mayHave bool) Decision {
	if !mayHave || observed == Held || observed.rank() == 0 {
		return DecideFor(provider, Held, observed)
	}
	return Apply
}

// DecideFor is Decide for a payout of provider, with what that provider's
// own documents add to the rule: RazorpayX's processed is a last state
// (seed 003: "The processed and reversed states are the last states for a
// payout... Any webhook received after these should be ignored"; its
// reversed is "a payout fails and the amount is returned"), so a reversal
// of a SUCCEEDED RazorpayX payout is an anomaly — recorded, never applied,
// a case for a person — not the reversal Xendit's and Paywize's documents
// describe after success.
func DecideFor(provider string, current, observed Status) Decision {
	if provider == "razorpayx" && current == Succeeded && observed == Reversed {
		return Anomaly
	}
	return Decide(current, observed)
}

// Providers are the payout providers payops speaks to. sandbox is payops'
// own simulated provider.
var Providers = []string{"nxtbanking", "paywize", "razorpayx", "sandbox", "xendit"}

// ProviderLabel returns a provider's name as people write it: "RazorpayX"
// for razorpayx; an unknown name as it is.
func ProviderLabel(name string) string {
	if l, ok := map[string]string{"nxtbanking": "NxtBanking", "paywize": "Paywize", "razorpayx": "RazorpayX",
		"xendit": "Xendit", "sandbox": "the sandbox", DrillProvider: "the drill sandbox"}[name]; ok {
		return l
	}
	return name
}
