// Package views renders payops' pages with templ. Each page takes one view
// model shaped like the screen, filled by a handler; views never query.
package views

// Meta is what the layout needs on every page.
type Meta struct {
	Title  string
	Active string // nav key: "overview", "stuck"
	User   *UserBadge
}

// UserBadge is the signed-in user shown in the header.
type UserBadge struct {
	Name string
	Role string
}

// Login is the sign-in page.
type Login struct {
	Email string
	Next  string
	Error string
}

// Overview is the landing page: stuck payouts by provider and age.
type Overview struct {
	Meta
	Threshold  string // "10m"
	TotalStuck int
	Buckets    []string
	Providers  []ProviderStuck
	Statuses   []StatusCount
}

// ProviderStuck is one provider's row on the overview.
type ProviderStuck struct {
	Provider string
	Href     string
	Counts   []int // per bucket
	Total    int
	Oldest   string // age of the oldest
}

// StatusCount is a tile: payouts in one state.
type StatusCount struct {
	Status string
	Count  int
}

// Stuck is the stuck-payouts list.
type Stuck struct {
	Meta
	Threshold  string
	Provider   string // the filter; "" for all
	Providers  []string
	Rows       []StuckRow
	Total      int
	Page       int
	Pages      int
	PrevHref   string
	NextHref   string
	CanRecheck bool
}

// StuckRow is one payout in the stuck list, and what its last re-check did.
type StuckRow struct {
	Ref         string
	Href        string
	Provider    string
	Amount      string
	Beneficiary string // name and masked account
	Status      string
	Age         string
	AgeLevel    string // "", "warn", "bad": how long it has been stuck
	LastCheck   string
	CanRecheck  bool
	RecheckURL  string
	Message     string // what the last re-check did
	MessageKind string // "ok", "info", "warn", "bad"
}

// Payout is one payout's page: its facts, its events and its audit trail.
type Payout struct {
	Meta
	Ref              string
	Status           string
	Amount           string
	Provider         string
	ProviderPayoutID string
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
	At        string
	Source    string // webhook, poll, manual, system
	RawStatus string // the provider's own word
	Status    string // what it maps to
	Decision  string
	Detail    string
	Actor     string
	Headers   string
	Body      string // the webhook as received, masked
}

// AuditRow is one audit-log entry.
type AuditRow struct {
	At      string
	Actor   string
	Action  string
	Details string
}

// Error is an error page or fragment.
type Error struct {
	Meta
	Status  int
	Heading string
	Message string
}

// Webhooks is the page of recent webhook deliveries.
type Webhooks struct {
	Meta
	Provider  string
	Outcome   string
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
	Verified  bool
	Outcome   string
	Detail    string
	PayoutRef string
	PayoutURL string
	Headers   string
	Body      string // masked
}
