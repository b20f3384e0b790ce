// Package views renders payops' pages with templ. Each page takes one view
// model shaped like the screen, filled by a handler; views never query.
package views

// Meta is what the layout needs on every page.
type Meta struct {
	Title  string
	Active string // nav key: "overview", "stuck"
	User   *UserBadge
	// TestData shows the "You are viewing test data" banner and turns the
	// header's switch to "View live data".
	TestData bool
	Here     string // the page's address, where the switch comes back to
	// Address, for a page that answers a post with something shown once
	// (a new secret, a set-password link), is the page's own address:
	// static/app.js puts it in the address bar, so a reload reads the page
	// (the secret gone) rather than sending the post again (a second
	// endpoint, another rotation).
	Address string
}

// UserBadge is the signed-in user shown in the header.
type UserBadge struct {
	Name   string
	Role   string
	Drills bool // the Drills link: whether the permission table lets the role run drills
	Audit  bool // the Audit log link: whether the permission table lets the role read the audit log
	// Markets is the Markets link (the menu's and the holds page's):
	// whether the role may read the markets' launch documents.
	Markets bool
	// Settings is the Settings link: whether the role may manage users or
	// API tokens by the permission table.
	Settings bool
}

// Login is the sign-in page.
type Login struct {
	Email  string
	Next   string
	Error  string
	Notice string // after a password was set: sign in with it
}

// Payout is one payout's page: its facts, its events and its audit trail.
type Payout struct {
	Meta
	RetryOf          string   // the failed payout this one is a new instruction for
	Retries          []string // the new instructions made from this one
	Cases            []CaseRow
	Ref              string
	Status           string
	Test             bool // a test payout: it moves no money
	Amount           string
	Provider         string
	ProviderPayoutID string
	// ProviderState is the provider's own word for the payout's state and
	// its reason ("queued — low_balance: ..."), or "—"; WaitsForApproval
	// says the provider holds it for an approval in its own workflow.
	ProviderState    string
	WaitsForApproval string // "" or what to do: approve or reject it at the provider
	Mode             string
	Narration        string
	Beneficiary      string
	Bank             string
	UTR              string
	Failure          string
	Fee              string
	Created          string
	Updated          string
	Submitted        string
	LastChecked      string
	CanRecheck       bool
	RecheckURL       string
	Timeline         []TimelineItem
	Ledger           []LedgerRow
	Audit            []AuditRow
	Market           string
	TaxArtifact      string
	Holds            []HoldCard
	Gates            []GateRound
	Notice           string // what the last action did, after its redirect
	NoticeKind       string // its colour: "" (ok), "info", "warn" or "bad"
	SubmitNote       string // the worker's last failure, attempts
	// Archived says, a line each, which months of this payout's history
	// are no longer in the database and the file each is in.
	Archived []string
}

// LedgerRow is one journal entry of a payout.
type LedgerRow struct {
	At      string
	Kind    string
	Account string
	Debit   string
	Credit  string
}

// TimelineItem is one thing that happened to a payout: a status observation
// (webhook, poll, re-check) and the decision on it, a webhook delivery that
// changed nothing, or an action of payops itself.
type TimelineItem struct {
	At       string
	Source   string // webhook, poll, manual, system
	Status   string // what the provider's word maps to, if any
	Decision string
	Sentence string // what happened, in the provider's own words
	Actor    string
	Headers  string
	Body     string // the webhook as received, masked
	EventID  string // the webhook's event id at its provider
	Raw      string // payops' own record of it (an audit entry's JSON), masked
}

// AuditRow is one audit-log entry.
type AuditRow struct {
	At       string
	Actor    string
	Action   string
	Sentence string // what it records, for people
	Details  string // its JSON, masked
}

// Error is an error page or fragment.
type Error struct {
	Meta
	Status  int
	Heading string
	Message string
	Back    string // for a refused post: the page it came from, to go back to
}

// Webhooks is the page of recent webhook deliveries.
type Webhooks struct {
	Meta
	Provider  string
	Outcome   string
	Search    string // a reference, provider payout id or event id, found exactly
	Archived  string // on an empty search: before which month deliveries are archived, "" when none are
	Providers []string
	Outcomes  []string
	Counts    []OutcomeTile // last 24 hours
	Rows      []DeliveryRow
	OlderHref string
}

// OutcomeTile counts deliveries with one outcome.
type OutcomeTile struct {
	Outcome string
	Count   int
	Href    string
}

// DeliveryRow is one webhook delivery.
type DeliveryRow struct {
	ID        string
	At        string
	Provider  string
	EventType string
	EventID   string // the provider's id of the event: what dedupe keys on, and search finds
	Verified  bool
	Outcome   string
	Detail    string
	PayoutRef string
	PayoutURL string
	Headers   string
	Body      string // masked
	BodySize  string // "312 bytes", or "first 4,096 of 1,048,576 bytes kept" for a refused one
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Holds is the page of open holds.
type Holds struct {
	Meta
	Reason    string // filters: a reason, "" for all
	Owner     string // "", "mine", "none" or a user id
	Reasons   []Option
	Owners    []Option
	Rows      []HoldRow
	Total     int
	Overdue   int
	CanAct    bool // ops and compliance: reassign, escalate
	CanDecide bool // compliance: release, reject
	// Waiting says when the user's deciding role, given from the dashboard
	// recently, decides from (payout.GrantWait); "" when it does now.
	Waiting string
	// NewDeciders are the others given a deciding role from the dashboard
	// who wait to decide, for the people who decide already.
	NewDeciders []string
	Results     []BulkResult
	Page        int
	Pages       int
	PrevHref    string
	NextHref    string
	FilterNote  string // what the filter shows, for the empty state
	Filter      string // the filters as a query, kept through a bulk action
}

// HoldRow is one open hold in the list.
type HoldRow struct {
	ID          string
	Ref         string
	Href        string
	Reason      string
	Detail      string
	Owner       string // "" when nobody owns it
	Age         string
	Due         string // "in 3 h 10 min" or "overdue by 2 h"
	DueAt       string // RFC 3339, for the countdown in app.js
	DueLevel    string // "", "warn", "bad"
	Escalated   bool
	Approvals   int // approvals given under an approval rule, the hold still open for the next
	Amount      string
	Beneficiary string // the name
	Account     string // masked: XXXX1234
	Seen        string // its last evidence's id as shown, for the bulk action
}

// BulkResult is what a bulk action did to one hold.
type BulkResult struct {
	Ref     string
	Href    string
	Outcome string
	OK      bool
}

// HoldCard is one hold on a payout's page, with its evidence and actions.
type HoldCard struct {
	ID             string
	Reason         string
	Detail         string
	State          string // open, released, rejected
	Owner          string
	PlacedBy       string
	Placed         string
	Due            string
	DueLevel       string
	Escalated      bool
	Decision       string // "released by … at …: note" once decided
	Evidence       []EvidenceRow
	Seen           string // the last evidence's id shown: a decision refuses newer evidence unseen
	ActionURL      string // "/holds/12"; actions post to ActionURL + "/release" ...
	CanAct         bool
	CanDecide      bool
	ReleaseBlocked string // why this user may not release (four-eyes), if so
	Waiting        string // when this user, given their deciding role recently, decides from; "" when now
	Owners         []Option
	TaxHold        bool
	TaxStates      []string
	NextOwner      string // whom Escalate hands it to; "" when none is set
	// The launch document's rules for this hold: the approvals its approval
	// rule asks for (0: none), those given (the next approver reads their
	// notes first), and the evidence to attach before release.
	ApprovalsNeeded int
	Approvals       []ApprovalRow
	UnblockEvidence string
	ReleaseLabel    string // "Release", or "Approve (1 of 2)" for an approval that leaves the hold open
}

// ApprovalRow is one compliance approval given on a hold.
type ApprovalRow struct {
	Seq  int
	By   string
	At   string
	Note string
}

// EvidenceRow is one item of a hold's evidence.
type EvidenceRow struct {
	At   string
	By   string
	Kind string
	Body string
	URL  string
}

// GateRound is the gates evaluated together on one occasion.
type GateRound struct {
	At       string
	Occasion string
	Actor    string
	Summary  string // "all 5 gates pass", "failed: review_threshold"
	Passed   bool
	Gates    []GateRow
}

// GateRow is one gate's answer in a round.
type GateRow struct {
	Gate   string
	Passed bool
	Answer string
	Inputs string
}

// HoldOwners is the page where admins set each hold reason's owners and SLA.
type HoldOwners struct {
	Meta
	Reasons []HoldReasonRow // the hold reasons
	Kinds   []HoldReasonRow // the exception kinds
	Users   []Option        // who may own cases
	// HoldUsers may own holds: users whose role may work them.
	HoldUsers []Option
	HoldRoles string // "ops or compliance"
	CanEdit   bool
	Saved     string // "holds" or "cases" after a save
	// Classes are the failure classes of a failed payout's case, each with
	// its own owner or none (the kind's).
	Classes []ClassOwnerRow
}

// ClassOwnerRow is one failure class's owner of failed payouts' cases.
type ClassOwnerRow struct {
	Class     string
	Label     string
	Owner     string // user id, "" for the kind's owner
	OwnerName string
	Step      string // what a payout failed so needs next (seed 004)
}

// HoldReasonRow is one hold reason's or exception kind's configuration.
type HoldReasonRow struct {
	Reason    string
	Label     string
	Owner     string // user id, "" for none
	OwnerName string
	Next      string
	NextName  string
	SLAHours  string
	Updated   string
}
