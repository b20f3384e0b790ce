package views

import "net/url"

// Exceptions is the queue of open exception cases.
type Exceptions struct {
	Meta
	Kind       string // filters: a kind, "" for all
	Owner      string // "", "mine", "none" or a user id
	Class      string // a failed payout's failure class, "" for any
	Classes    []Option
	Kinds      []KindCount
	Owners     []Option
	Rows       []CaseRow
	Total      int
	Overdue    int
	FilterNote string
	// Page of Pages (casesPageSize a page), with links to the others.
	Page, Pages        int
	PrevHref, NextHref string
}

// KindCount is one exception kind with its open cases, for the filter.
type KindCount struct {
	Value, Label string
	Open         int
}

// CaseRow is one open case in the queue.
type CaseRow struct {
	ID        string
	Href      string
	Kind      string
	Class     string // the failure class, for a failed payout's case
	ClassHref string // the queue filtered by that class
	Summary   string
	Ref       string // the payout's reference, when the case is about one
	Provider  string // and its provider
	PayoutURL string
	Amount    string
	Owner     string
	StandsIn  bool // the owner stands in: the kind has no owner of its own
	Age       string
	Due       string
	DueAt     string
	DueLevel  string
	Escalated bool
}

// CaseView is one case: its evidence, state, history and actions.
type CaseView struct {
	Meta
	ID, Kind, Class, Summary string
	State                    string // open, resolved, closed
	Closed                   string // "resolved by … at …: note" once closed
	Owner                    string
	StandsIn                 bool // the owner stands in until the kind has one
	Opened                   string
	Due                      string
	DueLevel                 string
	Escalated                bool
	Evidence                 []KV
	Ref, PayoutURL           string
	PayoutStatus             string
	Amount, Provider         string // the payout's
	RetryRef, RetryURL       string
	Owners                   []Option
	NextOwner                string
	NextStep                 string // what a failed payout of its class needs next
	CanWork                  bool   // resolve, reassign, escalate
	CanRecheck               bool
	CanRetry                 bool // a request or beneficiary failure, for ops
	RetryIFSC, RetryBankCode string
	RetryName                string
	RetryAccount             string // masked: XXXX1234
	Notice                   string
	History                  []AuditLine
}

// KV is one labelled value.
type KV struct {
	Key, Value string
}

// PayoutPath is the page of the payout with reference ref in its mode. A
// reference may name a live payout and a test payout (migration 00056): a
// test payout's page names its mode (?mode=test); a live payout's is the
// bare path, which opens the reference's live payout first.
func PayoutPath(ref string, live bool) string { return PayoutActionPath(ref, live, "") }

// PayoutActionPath is the path of an action on the payout (action
// "/recheck"), naming its mode as PayoutPath does.
func PayoutActionPath(ref string, live bool, action string) string {
	path := "/payouts/" + url.PathEscape(ref) + action
	if !live {
		path += "?mode=test"
	}
	return path
}
