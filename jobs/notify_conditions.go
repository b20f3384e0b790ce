package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"payops/payout"
	"payops/store"
)

// ConditionStore is what the standard conditions read.
type ConditionStore interface {
	OverdueHolds(ctx context.Context, now time.Time) ([]store.OverdueHold, error)
	StuckByProvider(ctx context.Context, before time.Time, min int) ([]store.ProviderCount, error)
	DaysWithDifferences(ctx context.Context, since time.Time) ([]store.DayWithDifferences, error)
	LatestFinishedDrill(ctx context.Context) (store.DrillRun, error)
	RejectionsByProvider(ctx context.Context, since time.Time, over int) ([]store.ProviderCount, error)
	FailingEndpoints(ctx context.Context, failingBefore time.Time) ([]store.FailingEndpoint, error)
	LowBalances(ctx context.Context, now time.Time) ([]store.LowBalance, error)
	OverdueCases(ctx context.Context, now time.Time) ([]store.Case, error)
	WaitingDeciders(ctx context.Context) ([]store.User, error)
}

// differencesLookBack is how far back a day's open differences start a
// notice: older unsigned days are the reconciliation page's business (an
// install upgraded with a year of them is not told a year of days). A day
// told already stays told until it is signed off, however old it gets.
const differencesLookBack = 35 * 24 * time.Hour

// StandardConditions returns payops' conditions, read from st; a payout
// is stuck as the stuck list says (no change for stuckAfter), and the
// stuck condition's own age threshold adds to that. Another kind is one
// more element: payout.ConditionKind constant and an Evaluate reading the
// store.
func StandardConditions(st ConditionStore, stuckAfter time.Duration) []Condition {
	return []Condition{
		{Kind: payout.CondHoldOverdue, Evaluate: func(ctx context.Context, now time.Time, _ store.NotifyChannel) ([]Active, error) {
			return overdueHolds(ctx, st, now)
		}},
		{Kind: payout.CondStuck, Evaluate: func(ctx context.Context, now time.Time, ch store.NotifyChannel) ([]Active, error) {
			return stuckProviders(ctx, st, now, stuckAfter, ch)
		}},
		{Kind: payout.CondDayEndDiffs, Evaluate: func(ctx context.Context, now time.Time, _ store.NotifyChannel) ([]Active, error) {
			return daysWithDifferences(ctx, st, now)
		}},
		{Kind: payout.CondDrillFailed, Evaluate: func(ctx context.Context, _ time.Time, _ store.NotifyChannel) ([]Active, error) {
			return failedDrill(ctx, st)
		}},
		{Kind: payout.CondWebhookRejections, Evaluate: func(ctx context.Context, now time.Time, ch store.NotifyChannel) ([]Active, error) {
			return webhookRejections(ctx, st, now, ch)
		}},
		{Kind: payout.CondEndpointDisabled, Evaluate: func(ctx context.Context, now time.Time, _ store.NotifyChannel) ([]Active, error) {
			return failingEndpoints(ctx, st, now)
		}},
		{Kind: payout.CondBalanceLow, Evaluate: func(ctx context.Context, now time.Time, _ store.NotifyChannel) ([]Active, error) {
			return lowBalances(ctx, st, now)
		}},
		{Kind: payout.CondCaseOverdue, Evaluate: func(ctx context.Context, now time.Time, _ store.NotifyChannel) ([]Active, error) {
			return overdueCases(ctx, st, now)
		}},
		{Kind: payout.CondDeciderGranted, Evaluate: func(ctx context.Context, _ time.Time, _ store.NotifyChannel) ([]Active, error) {
			return waitingDeciders(ctx, st)
		}},
	}
}

// waitingDeciders: each user given a deciding role from the dashboard who
// waits to decide (payout.GrantWait), one condition per grant; it clears
// when they may decide, or are disabled.
func waitingDeciders(ctx context.Context, st ConditionStore) ([]Active, error) {
	users, err := st.WaitingDeciders(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Active, 0, len(users))
	for _, u := range users {
		out = append(out, Active{Key: fmt.Sprintf("%s:%d:%d", payout.CondDeciderGranted, u.ID, u.DecidesFrom.Unix()), Except: []int64{u.ID},
			Path:    "/audit?entity=user&entity_id=" + strconv.FormatInt(u.ID, 10),
			Subject: fmt.Sprintf("%s (%s) can decide as %s from %s", u.Name, u.Email, u.Role, u.DecidesFrom.UTC().Format("2006-01-02 15:04 UTC")),
			Detail: fmt.Sprintf("An admin gave %s the %s role from the dashboard (added them, changed their role, enabled "+
				"them, or a password set with a link an admin made): four-eyes decisions are theirs from then. If you do not know of "+
				"this, have another admin disable the account now (Settings, Users); the audit log says who gave it.",
				u.Email, u.Role)})
	}
	return out, nil
}

// lowBalances: each provider whose last balance read is under twice its
// average daily outflow of the last 7 days (seed 000); it clears when a
// balance read is above it again.
func lowBalances(ctx context.Context, st ConditionStore, now time.Time) ([]Active, error) {
	low, err := st.LowBalances(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]Active, 0, len(low))
	for _, l := range low {
		out = append(out, Active{Key: string(payout.CondBalanceLow) + ":" + l.Provider, Path: "/providers#provider-" + l.Provider,
			Subject: fmt.Sprintf("The %s balance is under %d days of payouts", l.Provider, payout.BalanceLowFactor),
			Detail: fmt.Sprintf("%s left (read %s); the last 7 days paid out %s a day on average. Fund the account: "+
				"payouts larger than the balance are held for funding.", l.Balance, l.At.UTC().Format("2006-01-02 15:04 UTC"),
				l.DailyOutflow)})
	}
	return out, nil
}

// overdueHolds: each open hold past its SLA or escalated, named to its
// owner now: before escalation the reason's owner, after it the escalation
// owner (EscalateOverdue hands it over), who is told when it comes to them.
func overdueHolds(ctx context.Context, st ConditionStore, now time.Time) ([]Active, error) {
	holds, err := st.OverdueHolds(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]Active, 0, len(holds))
	for _, h := range holds {
		out = append(out, overdue(Active{Key: fmt.Sprintf("%s:%d", payout.CondHoldOverdue, h.ID), Path: "/payouts/" + h.Ref},
			fmt.Sprintf("Hold #%d on %s (%s)", h.ID, h.Ref, h.ReasonLabel), "", h.SLADueAt, h.EscalatedAt != nil,
			h.OwnerID, h.OwnerName, "Hold owners"))
	}
	return out, nil
}

// stuckProviders: each provider with at least the threshold's count of
// payouts stuck for the stuck list's age plus the threshold's minutes.
func stuckProviders(ctx context.Context, st ConditionStore, now time.Time, stuckAfter time.Duration,
	ch store.NotifyChannel) ([]Active, error) {
	age := stuckAfter + time.Duration(ch.ThresholdMinutes)*time.Minute
	counts, err := st.StuckByProvider(ctx, now.Add(-age), max(ch.ThresholdCount, 1))
	if err != nil {
		return nil, err
	}
	out := make([]Active, 0, len(counts))
	for _, c := range counts {
		out = append(out, Active{Key: string(payout.CondStuck) + ":" + c.Provider, Path: "/payouts/stuck?provider=" + c.Provider,
			Subject: fmt.Sprintf("Payouts stuck at %s for over %s", c.Provider, minutes(age)),
			Detail: fmt.Sprintf("%d stuck now (the threshold is %d); the oldest unchanged since %s.", c.Count,
				max(ch.ThresholdCount, 1), c.Oldest.UTC().Format("2006-01-02 15:04 UTC"))})
	}
	return out, nil
}

// daysWithDifferences: each reconciled day whose latest run has open
// differences and no sign-off.
func daysWithDifferences(ctx context.Context, st ConditionStore, now time.Time) ([]Active, error) {
	days, err := st.DaysWithDifferences(ctx, now.Add(-differencesLookBack))
	if err != nil {
		return nil, err
	}
	out := make([]Active, 0, len(days))
	for _, d := range days {
		date := d.Date.Format(time.DateOnly)
		out = append(out, Active{Key: payout.DayEndKey(d.Provider, date),
			Path:    "/reconciliation/" + d.Provider + "/" + date,
			Subject: fmt.Sprintf("Day-end %s %s has %d open difference%s", d.Provider, date, d.Open, plural(d.Open)),
			Detail:  "Finance resolves or accepts each difference, then signs the day off."})
	}
	return out, nil
}

// failedDrill: the latest finished drill failed; it clears when a later
// one passes.
func failedDrill(ctx context.Context, st ConditionStore) ([]Active, error) {
	d, err := st.LatestFinishedDrill(ctx)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.State != store.DrillFailed) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a := Active{Key: string(payout.CondDrillFailed), Path: fmt.Sprintf("/drills/%d", d.ID),
		Subject: fmt.Sprintf("Failure drill #%d (%s) failed", d.ID, d.Scenario),
		Detail:  "Its report says which must-be-zero figure was not. It clears when a drill passes."}
	if d.Error != "" {
		a.Detail = "It could not finish: " + d.Error
	}
	return []Active{a}, nil
}

// webhookRejections: each provider with more signature rejections than
// the threshold within its minutes (5 when 0).
func webhookRejections(ctx context.Context, st ConditionStore, now time.Time, ch store.NotifyChannel) ([]Active, error) {
	window := time.Duration(ch.ThresholdMinutes) * time.Minute
	if window <= 0 {
		window = 5 * time.Minute
	}
	counts, err := st.RejectionsByProvider(ctx, now.Add(-window), ch.ThresholdCount)
	if err != nil {
		return nil, err
	}
	out := make([]Active, 0, len(counts))
	for _, c := range counts {
		out = append(out, Active{Key: string(payout.CondWebhookRejections) + ":" + c.Provider,
			Path:    "/webhooks?provider=" + c.Provider + "&outcome=rejected",
			Subject: fmt.Sprintf("Webhooks from %s refused for their signature", c.Provider),
			Detail: fmt.Sprintf("%d refused in the last %s (the threshold is more than %d): a wrong secret, or someone "+
				"forging them.", c.Count, minutes(window), ch.ThresholdCount)})
	}
	return out, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// minutes words a duration as people read it: "10 min", "2 h", "1 h 30 min".
func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

// failingEndpoints: each live outbound endpoint failing every delivery for
// payout.EndpointFailingNotice (it clears when one is delivered), and each
// the delivery job disabled for failing (it clears when it is enabled
// again); to admins and its owner. A failing endpoint that is disabled, by
// the job or an admin, stays failing but quietly (Quiet): nobody is told it
// "cleared", nor reminded of it beside its disabling, and one disabled
// before it was ever told is not told now.
func failingEndpoints(ctx context.Context, st ConditionStore, now time.Time) ([]Active, error) {
	eps, err := st.FailingEndpoints(ctx, now.Add(-payout.EndpointFailingNotice))
	if err != nil {
		return nil, err
	}
	var out []Active
	for _, e := range eps {
		var owners []int64
		if e.OwnerID != nil {
			owners = []int64{*e.OwnerID}
		}
		path := fmt.Sprintf("/settings/webhooks/%d", e.ID)
		if e.Livemode && e.FailingSince != nil && e.FailingSince.Before(now.Add(-payout.EndpointFailingNotice)) {
			out = append(out, Active{Key: fmt.Sprintf("%s:%d:failing", payout.CondEndpointDisabled, e.ID), Path: path,
				UserIDs: owners, Quiet: e.DisabledAt != nil,
				Subject: fmt.Sprintf("Outbound webhook endpoint #%d (%s) is failing every delivery", e.ID, urlHost(e.URL)),
				Detail: fmt.Sprintf("Every delivery since %s failed: the platform is not hearing of its payouts. payops "+
					"keeps retrying, and disables the endpoint after %d days of failures; its events wait and are delivered "+
					"once it answers.", e.FailingSince.UTC().Format("2006-01-02 15:04 UTC"),
					int(payout.EndpointFailingLimit.Hours()/24))})
		}
		if e.ByJob {
			out = append(out, Active{Key: fmt.Sprintf("%s:%d", payout.CondEndpointDisabled, e.ID), Path: path, UserIDs: owners,
				Subject: fmt.Sprintf("Outbound webhook endpoint #%d (%s) is disabled", e.ID, urlHost(e.URL)),
				Detail: fmt.Sprintf("It refused or failed every delivery for %d days; its events wait and are "+
					"delivered when it is enabled again.", int(payout.EndpointFailingLimit.Hours()/24))})
		}
	}
	return out, nil
}

// urlHost is a URL's host, for a notice: its path and query may carry a
// token of the receiver's.
func urlHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "an endpoint"
	}
	return u.Host
}

// overdueCases: each open exception case past its SLA or escalated, named to
// its owner now (the escalation owner once escalated), as holds are.
func overdueCases(ctx context.Context, st ConditionStore, now time.Time) ([]Active, error) {
	cases, err := st.OverdueCases(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]Active, 0, len(cases))
	for _, c := range cases {
		out = append(out, overdue(Active{Key: fmt.Sprintf("%s:%d", payout.CondCaseOverdue, c.ID), Path: fmt.Sprintf("/exceptions/%d", c.ID)},
			fmt.Sprintf("Case #%d (%s)", c.ID, c.KindLabel), c.Summary+". ", c.SLADueAt, c.EscalatedAt != nil,
			c.OwnerID, c.OwnerName, "Owners and SLAs"))
	}
	return out, nil
}

// overdue words a's notice of a hold or case (what) past its SLA or
// escalated, for its owner, or saying it has none and where an admin sets
// one (ownersPage); summary, when not "", opens the detail.
func overdue(a Active, what, summary string, due time.Time, escalated bool, owner *int64, ownerName, ownersPage string) Active {
	a.Subject = what + " is past its SLA"
	if escalated {
		a.Subject = what + " is escalated"
	}
	a.Detail = summary + "It was due " + due.UTC().Format("2006-01-02 15:04 UTC") + "."
	if owner != nil {
		a.UserIDs = []int64{*owner}
		a.Detail += " Its owner is " + ownerName + "."
	} else {
		a.Detail += " It has no owner: an admin sets one under " + ownersPage + "."
	}
	return a
}
