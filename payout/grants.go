package payout

import (
	"fmt"
	"time"
)

// GrantWait is how long a deciding role given from the dashboard waits
// before its user's first decision. Four-eyes needs two people, and an admin
// makes the accounts: without a wait, one admin could add two compliance
// users (or a second admin) and decide alone, with the audit log saying so
// only afterwards. During the wait the people who decide already are told
// (CondDeciderGranted) and can disable an account they do not recognise.
const GrantWait = 24 * time.Hour

// GrantWaitWords is GrantWait as the pages and messages say it.
var GrantWaitWords = fmt.Sprintf("%d hours", int(GrantWait/time.Hour))

// WaitingWhy says why a user whose deciding role waits may not decide yet,
// and when they may (stamp, as the reader reads times): the store's
// refusal and the pages say the same.
func WaitingWhy(stamp string) string {
	return "your account was changed from the dashboard less than " + GrantWaitWords + " ago (a deciding role " +
		"given, the account enabled, or a password set with an admin's link): you decide from " + stamp +
		", so that the people who decide already could see it first"
}

// FourEyesActions are the decisions four-eyes guards: releasing or rejecting
// a hold (with its approvals) and approving a market's launch document.
var FourEyesActions = []Action{ActDecideHolds, ActLaunchMarkets}

// Decides reports whether role takes a four-eyes decision.
func Decides(role Role) bool {
	for _, a := range FourEyesActions {
		if role.Can(a) {
			return true
		}
	}
	return false
}

// Grant is a change to a user an admin makes that gives them, or gives
// them back, a deciding role's power: adding them, changing their role,
// enabling them, or a password set with a set-password link an admin made
// there (whoever held the link signs in as them).
type Grant struct {
	Role Role // the user's role after the change
	// FromDashboard: made by a signed-in admin. The command line (someone
	// with the server and its database, as when payops is first set up)
	// grants at once.
	FromDashboard bool
	At            time.Time
}

// DecidesFrom returns when a user changed by g may first decide: nil for
// a role that does not decide, or a grant from the command line (at once),
// else GrantWait after it.
func DecidesFrom(g Grant) *time.Time {
	if !Decides(g.Role) || !g.FromDashboard {
		return nil
	}
	t := g.At.Add(GrantWait)
	return &t
}

// Waiting reports whether a user who decides from from (DecidesFrom; nil
// for at once) may not decide yet at now.
func Waiting(from *time.Time, now time.Time) bool {
	return from != nil && now.Before(*from)
}
