package payout

import (
	"fmt"
	"time"
)

// DayState is where a provider's business day stands in reconciliation, by
// its latest version.
type DayState string

// The states of a business day.
const (
	DayNotReconciled DayState = "none"   // no version yet
	DayOpen          DayState = "open"   // differences without a note
	DayTies          DayState = "ties"   // no difference: to sign off
	DayResolved      DayState = "ready"  // every difference closed with a note: to sign off
	DaySignedOff     DayState = "signed" // finance signed it off; read-only
)

// StateOfDay returns where a day stands from its latest version: whether
// there is one, whether it is signed off, how many differences are open,
// and whether both sides tie.
func StateOfDay(reconciled, signedOff bool, openDiffs int, ties bool) DayState {
	switch {
	case !reconciled:
		return DayNotReconciled
	case signedOff:
		return DaySignedOff
	case openDiffs > 0:
		return DayOpen
	case ties:
		return DayTies
	default:
		return DayResolved
	}
}

// DayFeed is where a provider's side of its days comes from.
type DayFeed string

// The feeds of a provider's days.
const (
	// FeedList: the provider lists its payouts by time, so Run now (and the
	// day-end job) reconciles a day.
	FeedList DayFeed = "list"
	// FeedReport: the provider documents no listing (Xendit, Paywize), so a
	// day is reconciled from the settlement report finance uploads.
	FeedReport DayFeed = "report"
	// FeedGone: the provider is no longer configured here; its reconciled
	// days stay readable and nothing new is expected of it.
	FeedGone DayFeed = "gone"
)

// DayStep is what a business day needs from finance next.
type DayStep string

// The steps a day can need; StepNone when it needs nothing.
const (
	StepNone    DayStep = ""
	StepResolve DayStep = "resolve"  // resolve or accept its open differences
	StepSignOff DayStep = "sign_off" // sign it off
	StepRun     DayStep = "run"      // reconcile it: Run now
	StepUpload  DayStep = "upload"   // reconcile it: upload the provider's settlement report
)

// NextStep returns what a day in state needs next for a provider of feed:
// open differences want a note each, a day that ties or has every
// difference closed wants its sign-off, and a day never reconciled wants
// Run now where the provider lists its payouts and a settlement report where
// it does not. A signed-off day, and a day never reconciled of a provider no
// longer configured, need nothing.
func NextStep(state DayState, feed DayFeed) DayStep {
	switch state {
	case DayOpen:
		return StepResolve
	case DayTies, DayResolved:
		return StepSignOff
	case DayNotReconciled:
		switch feed {
		case FeedList:
			return StepRun
		case FeedReport:
			return StepUpload
		}
	}
	return StepNone
}

// VersionReadOnly returns why version of a day, whose latest version is
// latest, cannot be worked on (differences resolved, a report uploaded on
// it), or "" when it can: only the latest version is worked on, and a
// signed-off one is closed. signedOffBy is "" when it is not signed off.
func VersionReadOnly(version, latest int, signedOffBy string) string {
	switch {
	case signedOffBy != "":
		return fmt.Sprintf("the day was signed off by %s: it is read-only; run it again for a new version", signedOffBy)
	case version != latest:
		return fmt.Sprintf("version %d of the day is kept as it was: work on the latest, version %d", version, latest)
	}
	return ""
}

// MaxBulkDiffs is the most differences one bulk Resolve or Accept closes:
// a page of them.
const MaxBulkDiffs = 100

// ReportedOnAnotherDay is the note that closes a day's "missing at provider"
// difference once the provider's records of another day name the payout.
// A payout belongs to the day payops sent it (submitted_at, its clock), but
// one sent near midnight may be on the provider's report of the day before
// or after (its clock, its cut-off): it is counted on the day whose records
// name it, and is no difference on its own day. date and version are the
// other day's and its version's that matched it.
func ReportedOnAnotherDay(date time.Time, version int) string {
	return fmt.Sprintf("Reported by the provider on %s and matched there (version %d): "+
		"sent near midnight, it is counted on that day.", date.Format(time.DateOnly), version)
}

// SamePayoutAtProvider reports whether a provider's record found by our
// reference may be the payout: either names no provider payout id, or both
// name the same one. Two ids under one reference are two payouts at the
// provider (one created again there, by hand or a retry of its own): the
// record is then not this payout, and reconciliation shows it as one
// payops does not have, where pairing it would hide a payout paid twice.
// The webhook endpoint matches events by the same rule, in SQL
// (store's samePayoutAtProvider).
func SamePayoutAtProvider(ours, theirs string) bool {
	return ours == "" || theirs == "" || ours == theirs
}

// ProviderSide is what a version compared on the provider's side, for
// ProviderSideWarning.
type ProviderSide struct {
	FromReport bool // an uploaded settlement report, not the provider's list
	Records    int  // the provider's records compared
	Unmatched  int  // records that matched no payout: its "missing in payops" differences
	OtherDays  int  // records that matched a payout sent on another day
	Ours       int  // payouts payops sent that day
}

// ProviderSideWarning says when a version's provider side looks like the
// wrong file, or "": a settlement report with no rows for a day payops sent
// payouts on (every one then reads missing at the provider), or records of
// which none matched a payout the provider was sent that day — none at all
// (another provider's report), or only other days' (another day's report).
func ProviderSideWarning(provider string, p ProviderSide) string {
	switch {
	case p.Records == 0 && p.FromReport && p.Ours > 0:
		return "The settlement report has no rows, so every payout of the day reads missing at the provider. " +
			"Check that the right file was uploaded."
	case p.Records > 0 && p.Unmatched == p.Records:
		what := fmt.Sprintf("None of the provider's %d records matched a payout of %s", p.Records, provider)
		if p.Records == 1 {
			what = "The provider's one record matched no payout of " + provider
		}
		return what + ": is it another provider's report? Upload the right one for a new version."
	case p.Records > 0 && p.Unmatched+p.OtherDays == p.Records && p.OtherDays > 0 && p.Ours > 0:
		others := fmt.Sprintf("%d are payouts of other days", p.OtherDays)
		if p.OtherDays == 1 {
			others = "one is a payout of another day"
		}
		what := fmt.Sprintf("None of the provider's %d records is a payout sent this day: %s", p.Records, others)
		if p.Records == 1 {
			what = "The provider's one record is a payout of another day, not one sent this day"
		}
		return what + ". Is it another day's report? Upload the right one for a new version."
	}
	return ""
}
