package views

import "strconv"

// Markets is the list of markets with a launch document.
type Markets struct {
	Meta
	Rows []MarketRow
}

// MarketRow is one market and program in the list.
type MarketRow struct {
	Code, Program, Href string
	Live                bool
	State               string // "Live", "Read-only"
	Owners              string
	Version             int // 0: no launch document
	Ready               int // checkpoints passed, of 6
	// Held is the market's payouts held for it being read-only (on its
	// default program's row), linked as HeldHref.
	Held     int
	HeldHref string
}

// Market is one market's document, checklist, open proposal and
// history, and the forms admins change it with.
type Market struct {
	Meta
	Code, Program string
	HasDoc        bool
	Live          bool
	State         string // "Live by version 3", "Read-only: no launch document"
	Held          string // its payouts held for "market is read-only", and what they wait for; "" for none
	HeldHref      string
	Version       int
	Document      string // the latest version, indented JSON
	Missing       []string
	Rules         []RuleRow // what the document makes payops do, in words
	Checklist     []Checkpoint
	Ready         int
	Proposal      *MarketProposal
	History       []MarketVersion
	CanLaunch     bool // the role may propose, approve and put back to read-only
	// Waiting says when the user's admin role, given from the dashboard
	// recently, may propose and approve (payout.GrantWait); "" when now.
	Waiting string
	Draft   string
	Reason  string
	Error   string // why the proposal was refused, naming the field
	Notice  string
}

// RuleRow is one of a launch document's rules, in words.
type RuleRow struct {
	Name, Text string
}

// Checkpoint is one launch checkpoint and its evidence.
type Checkpoint struct {
	Step     int
	Name     string
	Passed   bool
	Evidence string
	Href     string // the drill or reconciliation that shows it
}

// MarketProposal is a change waiting for a second admin.
type MarketProposal struct {
	ID, By, At, Reason string
	Live               bool // the proposed document asks to be live
	Changes            []FieldChange
	WhyNot             string // why this user may not approve it (four-eyes); "" when they may
}

// MarketVersion is one version in the history and what it changed.
type MarketVersion struct {
	Version        int
	State          string
	By, At, Reason string
	Changes        []FieldChange
}

// FieldChange is one field that changed from a version to the next.
type FieldChange struct {
	Field, From, To string
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func versionSuffix(v int) string {
	if v == 0 {
		return ""
	}
	return ", version " + strconv.Itoa(v)
}
