package views

// Audit is the audit log page: the filter as typed, what it found (newest
// first) and where the older entries and the CSV are.
type Audit struct {
	Meta
	Filter     AuditFilter
	Actions    []string // the actions the log holds, for the select
	Kinds      []Option // the entity kinds
	Zone       string   // the business time zone the dates are days in
	Problems   []string // what is wrong with the filter (the page is 422 then, with no entries)
	Filtered   bool
	Rows       []AuditLine
	OlderHref  string // "" on the last page
	NewestHref string // "" on the first page
	CSVHref    string
}

// AuditFilter is the audit log's filter as the query string has it.
type AuditFilter struct {
	Actor    string
	Action   string
	Kind     string
	EntityID string
	From     string // 2006-01-02, in Zone
	To       string
}

// AuditLine is one entry of the audit log.
type AuditLine struct {
	ID         string
	At         string
	Actor      string
	Action     string
	Kind       string // what the entry is about: "payout", "hold", "reconciliation day"
	Entity     string // which one: "P-1", "P-1 · hold #7", "sandbox · 2026-11-20"
	EntityHref string // its page; "" when it has none
	Sentence   string // what it records, for people
	Details    []AuditDetail
}

// AuditDetail is one value of an entry's details, masked: a key (a path for
// nested values, "beneficiary.account_number") and the value as text.
type AuditDetail struct {
	Key   string
	Value string
}
