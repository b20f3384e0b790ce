package payout

import "strings"

// Action is something a dashboard user does that not every role may do.
// Reading pages is open to every signed-in user; everything that changes
// something, and the admin-only pages, is an Action.
type Action string

// The dashboard's actions.
const (
	// ActRecheck asks a provider for a payout's current status.
	ActRecheck Action = "payout.recheck"
	// ActWorkHolds adds evidence to a hold, reassigns or escalates it.
	ActWorkHolds Action = "hold.work"
	// ActDecideHolds releases or rejects a hold: compliance only, so that
	// sending held money is never an operator's call.
	ActDecideHolds Action = "hold.decide"
	// ActConfigureHolds sets hold owners and SLAs.
	ActConfigureHolds Action = "hold.configure"
	// ActRunRecon runs a day's reconciliation now.
	ActRunRecon Action = "recon.run"
	// ActCloseDays uploads a settlement report, resolves or accepts a
	// difference and signs a day off: finance only, so that the books are
	// closed by the people who answer for them.
	ActCloseDays Action = "recon.close"
	// ActRecheckDiffs re-checks the payout behind a reconciliation
	// difference with its provider.
	ActRecheckDiffs Action = "recon.recheck"
	// ActRunJobs runs a background job now.
	ActRunJobs Action = "job.run"
	// ActRunDrills starts failure drills and reads them.
	ActRunDrills Action = "drill.run"
	// ActReadAudit reads the audit log of every action across payops (and
	// exports it): who did what to which payout, hold, day, user or token.
	ActReadAudit Action = "audit.read"
	// ActManageUsers adds dashboard users, changes their roles, disables
	// and enables them, and makes set-password links.
	ActManageUsers Action = "user.manage"
	// ActManageTokens creates and revokes the platform API's tokens.
	ActManageTokens Action = "token.manage"
	// ActConfigureNotify sets how people are told of conditions (email,
	// chat webhooks, reminders, thresholds) and sends test notices.
	ActConfigureNotify Action = "notify.configure"
	// ActReadNotifications reads the notifications log: every notice, to
	// whom, and failures. Admins only: it names every recipient, and the
	// people told have the notice itself.
	ActReadNotifications Action = "notify.read"
	// ActManageWebhooks adds, rotates, disables and tests the platform's
	// outbound webhook endpoints, reads their delivery logs and redelivers.
	ActManageWebhooks Action = "webhook.manage"
	// ActReadMarkets reads the markets' launch documents, their history and
	// launch checklists.
	ActReadMarkets Action = "market.read"
	// ActLaunchMarkets proposes a market's document (going live, changing a
	// live one), approves another admin's proposal (four-eyes:
	// ProposalFourEyes), and puts a live market back to read-only at once.
	ActLaunchMarkets Action = "market.launch"
	// ActWorkExceptions resolves an exception case with a note, reassigns
	// it and escalates it.
	ActWorkExceptions Action = "exception.work"
	// ActRetryPayouts sends a failed payout again as a new instruction with
	// a corrected request, through the release gates.
	ActRetryPayouts Action = "payout.retry"
	// ActReadProviders reads the providers' health: calls, failures,
	// webhooks, pauses and balances.
	ActReadProviders Action = "provider.read"
)

// permissions is the one table of who may do what. Routes, handlers and
// views all read it (through Role.Can and RolesFor); nothing else names
// roles for an action.
var permissions = map[Action][]Role{
	ActRecheck:        {RoleOps, RoleAdmin},
	ActWorkHolds:      {RoleOps, RoleCompliance},
	ActDecideHolds:    {RoleCompliance},
	ActConfigureHolds: {RoleAdmin},
	ActRunRecon:       {RoleFinance, RoleAdmin},
	ActCloseDays:      {RoleFinance},
	ActRecheckDiffs:   {RoleFinance, RoleOps, RoleAdmin},
	ActRunJobs:        {RoleAdmin},
	ActRunDrills:      {RoleAdmin},
	ActReadAudit:      {RoleAdmin, RoleCompliance},
	ActManageUsers:    {RoleAdmin},
	ActManageTokens:   {RoleAdmin},

	ActConfigureNotify:   {RoleAdmin},
	ActReadNotifications: {RoleAdmin},
	ActManageWebhooks:    {RoleAdmin},
	ActReadMarkets:       {RoleOps, RoleCompliance, RoleAdmin},
	ActLaunchMarkets:     {RoleAdmin},
	ActWorkExceptions:    {RoleOps, RoleFinance, RoleCompliance, RoleAdmin},
	ActRetryPayouts:      {RoleOps, RoleAdmin},
	ActReadProviders:     {RoleOps, RoleCompliance, RoleFinance, RoleAdmin},
}

// Actions lists every action, in a stable order.
var Actions = []Action{ActRecheck, ActWorkHolds, ActDecideHolds, ActConfigureHolds, ActRunRecon, ActCloseDays,
	ActRecheckDiffs, ActRunJobs, ActRunDrills, ActReadAudit, ActManageUsers, ActManageTokens, ActConfigureNotify,
	ActReadNotifications, ActManageWebhooks, ActReadMarkets, ActLaunchMarkets, ActWorkExceptions, ActRetryPayouts,
	ActReadProviders}

// Label says what the action lets a person do, as their profile lists it.
func (a Action) Label() string {
	if l, ok := actionLabels[a]; ok {
		return l
	}
	return string(a)
}

var actionLabels = map[Action]string{
	ActRecheck:           "re-check a payout at its provider",
	ActWorkHolds:         "add evidence to holds, reassign and escalate them",
	ActDecideHolds:       "release or reject holds (four-eyes)",
	ActConfigureHolds:    "set owners and SLAs of holds and exceptions",
	ActRunRecon:          "run a day's reconciliation",
	ActCloseDays:         "upload settlement reports, resolve differences, sign days off",
	ActRecheckDiffs:      "re-check the payout behind a difference",
	ActRunJobs:           "run background jobs now",
	ActRunDrills:         "run failure drills",
	ActReadAudit:         "read the audit log",
	ActManageUsers:       "manage users",
	ActManageTokens:      "manage API tokens",
	ActConfigureNotify:   "configure notifications",
	ActReadNotifications: "read the notifications log",
	ActManageWebhooks:    "manage outbound webhooks",
	ActReadMarkets:       "read markets' launch documents",
	ActLaunchMarkets:     "propose and approve launch documents",
	ActWorkExceptions:    "work exception cases",
	ActRetryPayouts:      "send a failed payout again, corrected",
	ActReadProviders:     "read providers' health",
}

// RolesFor returns the roles that may take the action; none for an action
// the table does not name.
func RolesFor(a Action) []Role { return append([]Role(nil), permissions[a]...) }

// RolesWhoMay names the roles that may take a, for a sentence: "ops or
// compliance".
func RolesWhoMay(a Action) string { return strings.Join(RoleNames(a), " or ") }

// RoleNames are RolesFor(a)'s names, for a sentence or a query.
func RoleNames(a Action) []string {
	var out []string
	for _, r := range permissions[a] {
		out = append(out, string(r))
	}
	return out
}
