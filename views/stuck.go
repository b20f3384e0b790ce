package views

// Stuck is the stuck-payouts list.
type Stuck struct {
	Meta
	Threshold  string
	Provider   string // the filter; "" for all
	Providers  []string
	Rows       []StuckRow
	Total      int // every payout the list has, paused ones included
	Paused     int // of them, unsent because payops paused their provider
	Page       int
	Pages      int
	PrevHref   string
	NextHref   string
	CanRecheck bool
	Back       string // the list's filter and page, which a Re-check without JavaScript comes back to
	// Unconfigured says which listed payouts' providers Re-check cannot
	// ask, for want of credentials; "" when it can ask them all.
	Unconfigured string
}

// StuckRow is one payout in the stuck list, and what its last re-check did.
type StuckRow struct {
	Ref         string
	Href        string
	Provider    string
	Amount      string
	Beneficiary string // name and masked account
	Status      string
	// ProviderState says what the provider holds the payout for, when it
	// says more than the status: waiting for approval inside the provider
	// (Approval set: not the provider's fault, Re-check cannot move it), or
	// queued with its reason. "" otherwise.
	ProviderState string
	Approval      bool
	Age           string
	AgeLevel      string // "", "warn", "bad": how long it has been stuck
	LastCheck     string // when payops last asked the provider: "3 min ago", "never"
	CheckFailed   bool   // the last check got no answer from the provider
	CheckReason   string // why, in the failure's words
	CanRecheck    bool
	RecheckURL    string
	Message       string // what the last re-check did
	MessageKind   string // "ok", "info", "warn", "bad"
	Back          string // as Stuck's, sent with the Re-check form
	Left          bool   // shown after its Re-check although it is no longer stuck
	// Paused says why payops holds it back (a provider's downtime, its
	// circuit breaker): waiting on payops, not the provider's fault.
	Paused string
}
