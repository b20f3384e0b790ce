package handlers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// ReconStore is what the reconciliation pages read and write.
type ReconStore interface {
	ReconDays(ctx context.Context, from, to time.Time) ([]store.ReconRun, error)
	ReconVersions(ctx context.Context, provider string, date time.Time) ([]store.ReconRun, error)
	ReconTotals(ctx context.Context, runID int64) ([]store.ReconTotal, error)
	ReconDiffs(ctx context.Context, runID int64, f store.ReconDiffFilter) ([]store.ReconDiff, error)
	EachReconDiff(ctx context.Context, runID int64, f store.ReconDiffFilter, fn func(store.ReconDiff) error) error
	ReconDiffCounts(ctx context.Context, runID int64) ([]store.ReconKindCount, error)
	ReconCrossDay(ctx context.Context, runID int64, limit int) ([]store.CrossDayPayout, map[string]int, error)
	ReconDiffByID(ctx context.Context, id int64) (store.ReconDiff, error)
	ReconRunByID(ctx context.Context, id int64) (store.ReconRun, error)
	ResolveDiff(ctx context.Context, diffID int64, by store.Actor, note string, accept bool) (store.ReconDiff, error)
	ResolveDiffs(ctx context.Context, runID int64, ids []int64, by store.Actor, note string,
		accept bool) ([]store.DiffOutcome, error)
	SignOff(ctx context.Context, runID int64, by store.Actor) (store.ReconRun, error)
	OpenDaysBefore(ctx context.Context, provider string, date time.Time) ([]store.ReconOpenDay, error)
	ChangedSinceSignOff(ctx context.Context, run store.ReconRun) ([]string, error)
	LiveSentDays(ctx context.Context, providers []string, days []store.BusinessDay) (map[string]bool, error)
	ReconRecords(ctx context.Context, runID int64) ([]payout.ProviderRecord, error)
	ReconCountedTwice(ctx context.Context, run store.ReconRun, limit int) ([]store.CountedTwice, error)
	RecordRefusedUpload(ctx context.Context, provider string, date time.Time, by store.Actor, file,
		reason string) (int64, error)
	RefusedUploadByID(ctx context.Context, id int64) (store.RefusedUpload, error)
}

// DayReconciler reconciles a provider's business day on demand: jobs.DayEnd.
type DayReconciler interface {
	ProviderNames() []string
	Feed(provider string) payout.DayFeed
	Yesterday() time.Time
	BusinessZone() *time.Location
	RunDay(ctx context.Context, provider string, date time.Time, by string, again bool) (store.ReconRun, error)
	UploadDay(ctx context.Context, provider string, date time.Time, by string,
		records []payout.ProviderRecord, file *store.ReportFile) (store.ReconRun, error)
}

const (
	gridDays      = 14
	diffsPerPage  = payout.MaxBulkDiffs // a bulk action can take a whole page
	maxReportSize = 256 << 20           // a settlement report of a million rows is about 100 MB
	maxReportRows = 2_000_000
	carriedLinks  = 6 // earlier days linked by name; the rest are counted
)

// diffKinds are the kinds of difference, in the order finance reads them.
var diffKinds = []struct{ kind, label string }{
	{"missing_at_provider", "Missing at provider"},
	{"missing_in_payops", "Missing in payops"},
	{"amount_mismatch", "Amount"},
	{"currency_mismatch", "Currency"},
	{"status_mismatch", "Status"},
	{"fee_mismatch", "Fee"},
}

func kindLabel(kind string) string {
	for _, k := range diffKinds {
		if k.kind == kind {
			return k.label
		}
	}
	return kind
}

var reconNotices = map[string]string{
	"ran":      "Reconciled: this is the new version.",
	"uploaded": "Settlement report imported and reconciled: this is the new version.",
	"resolved": "The difference is closed with your note.",
	"signed":   "Signed off. This version is now read-only.",
}

// dayPath is a provider's business day's page.
func dayPath(provider string, date time.Time) string {
	return "/reconciliation/" + url.PathEscape(provider) + "/" + date.Format(time.DateOnly)
}

// dayState says where a reconciled day stands by its latest version, for
// the grid and the day page, with the words for it.
func dayState(run store.ReconRun) (payout.DayState, string) {
	state := payout.StateOfDay(true, run.SignedOffBy != nil, run.OpenDiffs, run.Ties)
	switch state {
	case payout.DaySignedOff:
		return state, "Signed off"
	case payout.DayOpen:
		return state, countOf(run.OpenDiffs, "open difference")
	case payout.DayTies:
		return state, "Ties · to sign off"
	}
	return state, "Resolved · to sign off"
}

// reconState is dayState by name, for the overview's tiles.
func reconState(run store.ReconRun) (state, label string) {
	s, l := dayState(run)
	return string(s), l
}

// countOf says n of a thing: "1 open difference", "1,204 open differences".
func countOf(n int, thing string) string {
	return thousands(int64(n)) + " " + thing + plural(n)
}

// carried links the earlier days whose differences are still open, oldest
// first; withProvider names the provider in each link (the grid's). The
// days past the first few are counted, with a link to the grid where the
// newest of them is.
func carried(days []store.ReconOpenDay, withProvider bool) views.ReconCarried {
	var c views.ReconCarried
	for i, d := range days {
		c.Total += d.Open
		if i >= carriedLinks {
			c.More++
			continue
		}
		label := d.BusinessDate.Format("Mon 2 Jan 2006")
		if withProvider {
			label = d.Provider + " " + label
		}
		c.Days = append(c.Days, views.ReconDayLink{Label: label, Href: dayPath(d.Provider, d.BusinessDate), Count: d.Open})
	}
	if c.More > 0 {
		newest := days[len(days)-1].BusinessDate
		c.MoreHref = "/reconciliation?" + url.Values{"view": {"action"}, "to": {newest.Format(time.DateOnly)}}.Encode()
	}
	return c
}

// userOf returns the request's signed-in user.
func userOf(r *http.Request) User {
	u, _ := UserFrom(r.Context())
	return u
}
