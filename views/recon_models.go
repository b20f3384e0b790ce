package views

import "fmt"

// ReconGrid is the reconciliation grid: business days by provider.
type ReconGrid struct {
	Meta
	Providers  []string
	Days       []ReconGridDay
	OpenDiffs  int // across the days shown
	ToSignOff  int // days with nothing open, not yet signed off
	SignedOff  int
	NotRun     int // days not reconciled that are expected to be
	CanRun     bool
	CanUpload  bool   // settlement reports: finance, who closes days
	Range      string // "7 Nov – 20 Nov 2026"
	PrevHref   string
	NextHref   string // "" when the range ends at the latest business day
	Notice     string
	BusinessTZ string

	ActionView bool   // only the days and cells that need finance
	AllHref    string // the same range, every day
	ActionHref string // the same range, needs action only
	Actions    int    // cells that need action in the range, uploads due included
	Uploads    []ReconUploadsDue
	Carried    ReconCarried // open differences of days before the range
}

// ReconGridDay is one business day's row.
type ReconGridDay struct {
	Date  string // "2026-11-20"
	Label string // "Fri 20 Nov"
	Cells []ReconCell
}

// ReconCell is one provider's business day in the grid.
type ReconCell struct {
	Provider string
	Href     string
	State    string // none, open, ready, ties, signed (payout.DayState)
	Step     string // what it needs next: resolve, sign_off, run, upload, or ""
	Label    string // "3 open differences"
	Detail   string // "v2 · list · 3 h ago"
	RunURL   string // "" when Run now is not offered here
	Quiet    bool   // in the needs-action view, a cell that needs nothing or is listed under Uploads
}

// ReconUploadsDue is a provider that lists no payouts, with the days of the
// range never reconciled: each wants its settlement report uploaded.
type ReconUploadsDue struct {
	Provider string
	Days     []ReconDayLink // newest first, each to its day's upload form
}

// uploadsDueText says why a provider's days want their reports.
func uploadsDueText(u ReconUploadsDue) string {
	days := "1 day is"
	if len(u.Days) != 1 {
		days = fmt.Sprintf("%d days are", len(u.Days))
	}
	return fmt.Sprintf("for %s: it lists no payouts, so %s not reconciled until its report is uploaded.", u.Provider, days)
}

func dayOrDays(n int) string {
	if n == 1 {
		return "day"
	}
	return "days"
}

// ReconCarried is the open differences of earlier days, carried forward.
type ReconCarried struct {
	Total    int            // open differences on those days
	Days     []ReconDayLink // oldest first, a few
	More     int            // days not linked
	MoreHref string         // where the rest are
}

// ReconDayLink links one business day.
type ReconDayLink struct {
	Label string // "Mon 30 Nov", "sandbox Mon 30 Nov"
	Href  string
	Count int // open differences on it, where that is the point
}

// ReconDay is one provider's business day: one version of its
// reconciliation, its totals and differences.
type ReconDay struct {
	Meta
	Provider  string
	Date      string // "2026-11-20"
	DateLong  string // "Friday 20 November 2026"
	Ran       bool   // the day has at least one version
	Empty     string // when it has none: what reconciles it
	Version   int
	Latest    bool
	Versions  []ReconVersion
	State     string // as ReconCell
	Headline  string // the important number first: "3 open differences", "Ties"
	Source    string // "provider's list API", "uploaded settlement report"
	RunBy     string
	RunAt     string
	SignedOff string // "Signed off by … at …"; "" when not
	// ChangedSinceSignOff says which payouts of the day changed since this
	// version was signed off; "" when none did.
	ChangedSinceSignOff string
	Window              string // the day's bounds in the business time zone
	Totals              []ReconTotalRow
	Chart               []ReconBar
	ChartSize           ReconChartSize
	Kinds               []ReconKind
	Kind                string // the filter
	Diffs               []ReconDiffRow
	DiffCount           int // of the filter
	PrevHref            string
	NextHref            string
	Carried             ReconCarried // open differences of this provider's earlier days
	Across              ReconAcross  // payouts compared across midnight

	CanRun       bool
	ConfirmRun   bool   // the latest version is signed off: running again needs a new sign-off
	CanUpload    bool   // the upload form is offered: finance, on a day that is not read-only
	CanSignOff   bool   // the button is shown
	SignOffBlock string // why signing off is not possible yet
	RunURL       string
	UploadURL    string
	SignOffURL   string
	TotalsCSV    string
	DiffsCSV     string
	RecordsCSV   string       // the provider's records the version compared, in a settlement report's columns
	Warning      string       // the provider side looks like the wrong file (payout.ProviderSideWarning)
	CountedTwice []ReconTwice // payouts this version counts that another day's latest version counts too
	Report       string       // the uploaded report's file: name and size; "" when from the list or not known
	ReportSHA256 string
	PayoutsHref  string // the payouts list: this provider's payouts created that day
	Notice       string
	Refused      *ReconRefusal // the settlement report just refused, shown after the redirect
	Columns      string        // a settlement report's header
	Bulk         ReconBulk
}

// ReconRefusal is a settlement report payops refused, nothing imported.
type ReconRefusal struct {
	At     string
	File   string
	Reason string
}

// ReconBulk is the bulk bar of a day's differences: Resolve or Accept the
// selected ones with one note.
type ReconBulk struct {
	Offered bool   // finance, on the latest version, not signed off, with open differences shown
	URL     string // where the bar posts
	Version int
	Back    string          // the list's filter and page
	Note    string          // kept when refused
	Error   string          // why the selection was refused (422)
	Results []ReconBulkItem // what the last bulk action did to each difference
	Closed  int             // how many of them it closed
}

// ReconBulkItem is what a bulk action did to one difference.
type ReconBulkItem struct {
	Label   string // "R2 · Amount"
	Href    string // its row
	Outcome string // "resolved", "not changed: accepted already, by …"
	OK      bool
}

// ReconVersion links one version of a day.
type ReconVersion struct {
	Version int
	Label   string // "v2 · list · 20 Nov 00:30 · signed off"
	Href    string
	Current bool
}

// ReconTotalRow is one currency's totals on both sides.
type ReconTotalRow struct {
	Currency    string
	OursCount   int64
	TheirsCount int64
	OursSum     string
	TheirsSum   string
	Difference  string // payops minus provider, with its currency: "0.00 INR" when equal
	OursFees    string
	TheirsFees  string
	Ties        bool
}

// ReconChartSize is the totals chart's size in pixels.
type ReconChartSize struct{ W, H int }

// ReconBar is one currency's pair of bars in the chart, widths in pixels.
type ReconBar struct {
	Currency    string
	Y           int
	OursW       int
	TheirsW     int
	OursLabel   string
	TheirsLabel string
	Differs     bool
}

// ReconKind is a filter chip: one kind of difference and its count.
type ReconKind struct {
	Kind   string
	Label  string
	Total  int
	Open   int
	Href   string
	Active bool
}

// ReconDiffRow is one difference in the diffs table.
type ReconDiffRow struct {
	ID          int64
	Kind        string
	KindLabel   string
	Ref         string
	RefHref     string // "" when payops has no such payout
	ProviderID  string
	Ours        string // the value of its kind on payops' side: "2,000.00 INR"
	OursNote    string // beside it: a status, "none recorded"
	Theirs      string
	TheirsNote  string
	Open        bool
	Resolution  string
	Note        string
	ResolvedBy  string
	ResolvedAt  string
	CanRecheck  bool
	CanResolve  bool
	PickColumn  bool // the table has the bulk bar's checkboxes
	Selectable  bool // this row has one
	Selected    bool
	RecheckURL  string
	ResolveURL  string
	Back        string // the list's filter and page, kept through Resolve
	Result      string // what the last re-check found
	ResultClass string // outcome-ok, outcome-info, outcome-bad
}

// ReconAcross is the payouts a version compared across the day's boundary:
// sent near midnight, reported by the provider on the neighbouring day.
type ReconAcross struct {
	SentOther int    // payouts of other days the version's records matched, counted here
	Summary   string // how many of each, and where each is counted
	Rows      []ReconAcrossRow
	More      string // "The first 50 of 120, …" when not all are listed
}

// ReconAcrossRow is one payout compared across midnight.
type ReconAcrossRow struct {
	Ref         string
	RefHref     string
	Amount      string
	Status      string
	Sent        string // when payops recorded it sent, in the reader's zone
	Counted     string // "here: …", "on 2026-11-19"
	CountedHref string // the other day's page, when counted there
}

// ReconTwice is a payout counted on this day and on another.
type ReconTwice struct {
	Ref, Href        string
	Other, OtherHref string // "2026-12-02 v1", and its page
}
