package payout

import (
	"fmt"
	"time"
)

// HealthState is a provider's state as the providers page shows it.
type HealthState string

// The states of a provider.
const (
	HealthUp       HealthState = "up"       // answering, few failures
	HealthDegraded HealthState = "degraded" // failing some calls, or one mode paused, or being probed
	HealthDown     HealthState = "down"     // every recent call failed for the provider's sake
	HealthPaused   HealthState = "paused"   // payops sends it nothing: breaker open or downtime for every mode
	HealthIdle     HealthState = "idle"     // no calls lately: nothing to judge by
)

// HealthInput is what a provider's state is judged by.
type HealthInput struct {
	Calls, Transient int // calls in the window, and those that failed transiently (timeouts, 429, 5xx)
	BreakerOpen      bool
	Probing          bool // the breaker lets one call through to see whether the provider is back
	PausedAllModes   bool // a downtime notice for every mode
	// InARow is how many of the latest sends failed transiently one after
	// another (the breaker's count): a provider that stopped answering a
	// minute ago is down, whatever the quarter hour before it says.
	InARow      int
	PausedModes int // downtime notices for single modes
}

// DegradedBelow is the share of calls that must not fail transiently for a
// provider to be up.
const DegradedBelow = 0.95

// DownInARow is how many sends in a row failing transiently make a
// provider down.
const DownInARow = 3

// StateOf returns a provider's state: paused while payops holds its payouts
// back, down when every recent call (three or more) failed transiently,
// degraded while probing or a mode is paused, down when the latest
// DownInARow sends failed (and some recent call did), degraded when some
// failed, idle with no calls, up otherwise.
func StateOf(in HealthInput) HealthState {
	switch {
	case in.BreakerOpen && !in.Probing, in.PausedAllModes:
		return HealthPaused
	case in.Calls >= 3 && in.Transient == in.Calls:
		return HealthDown
	case in.Probing, in.PausedModes > 0:
		return HealthDegraded
	case in.InARow >= DownInARow && in.Transient > 0:
		// Failing now: the run of failures is recent (the count has no
		// age of its own; a provider idle since keeps it).
		return HealthDown
	case in.Calls == 0:
		return HealthIdle
	case float64(in.Calls-in.Transient)/float64(in.Calls) < DegradedBelow:
		return HealthDegraded
	}
	return HealthUp
}

// BalanceLowFactor is how many days of average outflow the balance should
// cover: seed 000, "balance monitoring alerts when settlement account dips
// below 2x daily outflow".
const BalanceLowFactor = 2

// BalanceLow reports whether balance is under BalanceLowFactor times the
// average daily outflow; never with no outflow to compare with, or amounts
// in different currencies.
func BalanceLow(balance, dailyOutflow Money) bool {
	if dailyOutflow.Minor <= 0 || balance.Currency != dailyOutflow.Currency {
		return false
	}
	return balance.Minor < BalanceLowFactor*dailyOutflow.Minor
}

// FundingShort is the funding gate's failed evaluation when the provider's
// balance, read at at, is smaller than the payout's amount: the payout is
// held instead of being sent to fail.
func FundingShort(amount, balance Money, at time.Time) Evaluation {
	e := Policy{}.fundingGate(GateInput{FundingHold: true})
	e.Inputs["amount"] = amount.Decimal() + " " + amount.Currency
	e.Inputs["provider_balance"] = balance.Decimal() + " " + balance.Currency
	e.Inputs["balance_read_at"] = at.UTC().Format(time.RFC3339)
	e.Answer = fmt.Sprintf("the provider's available balance (%s, read %s) is less than the payout (%s): "+
		"fund the account, then release the hold", balance, at.UTC().Format("2006-01-02 15:04 UTC"), amount)
	return e
}
