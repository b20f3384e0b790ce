package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"payops/adapters"
	"payops/payout"
	"payops/store"
)

// ReconStore is what day-end reconciliation writes.
type ReconStore interface {
	Reconcile(ctx context.Context, provider string, date, dayStart, dayEnd time.Time, source, by string,
		records []payout.ProviderRecord, again bool) (store.ReconRun, error)
	ReconcileReport(ctx context.Context, provider string, date, dayStart, dayEnd time.Time, by string,
		records []payout.ProviderRecord, again bool, file *store.ReportFile) (store.ReconRun, error)
	LatestUpload(ctx context.Context, provider string, date time.Time) ([]payout.ProviderRecord, *store.ReportFile, error)
	UnreconciledDays(ctx context.Context, provider string, days []store.BusinessDay) ([]time.Time, error)
}

// CatchUpDays is how many days before yesterday the day-end job looks back
// for a day of a provider that it never reconciled (a run that failed, or
// did not happen: a deploy, or an outage of the provider's list, which may
// last days). Looking costs one query while nothing is missing.
const CatchUpDays = 30

// DayEnd reconciles the previous business day of every configured provider
// that can list its payouts; the others (Xendit, Paywize) are reconciled
// from the settlement report finance uploads.
type DayEnd struct {
	Store     ReconStore
	Providers adapters.Registry
	Location  *time.Location // the business day's time zone; UTC when nil
	Log       *slog.Logger
	Now       func() time.Time
}

// BusinessDay returns the day containing t in loc: its date and its bounds.
func BusinessDay(t time.Time, loc *time.Location) (date, start, end time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	start = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	end = start.AddDate(0, 0, 1)
	date = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return date, start, end
}

// DayBounds returns the bounds of business date date (a calendar date at
// UTC midnight) in loc.
func DayBounds(date time.Time, loc *time.Location) (start, end time.Time) {
	start = time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, orLocation(loc))
	return start, start.AddDate(0, 0, 1)
}

// Yesterday is the latest complete business day: the one the job reconciles.
func (d *DayEnd) Yesterday() time.Time {
	date, _, _ := BusinessDay(d.now().In(orLocation(d.Location)).AddDate(0, 0, -1), d.Location)
	return date
}

func (d *DayEnd) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// ProviderNames lists the providers whose days can be reconciled: those
// whose payouts are live. The test providers' (the sandbox's, the drill
// provider's) are test payouts (payout.Livemode), which move no money and
// which reconciliation never reads, so a day of theirs would only say that
// every record of it is missing in payops.
func (d *DayEnd) ProviderNames() []string {
	return slices.DeleteFunc(d.Providers.Names(), func(n string) bool { return !payout.Livemode(n) })
}

// refuseTest refuses to reconcile a test provider's day.
func refuseTest(provider string) error {
	if payout.Livemode(provider) {
		return nil
	}
	return store.Refused("%s's payouts are test payouts: they move no money and are never reconciled", provider)
}

// Feed says where a provider's side of its days comes from: its List, a
// settlement report (a provider that documents no listing), or nowhere new
// (a provider no longer configured here, or a test provider).
func (d *DayEnd) Feed(provider string) payout.DayFeed {
	switch {
	case !slices.Contains(d.ProviderNames(), provider):
		return payout.FeedGone
	case d.Providers.Lists(provider):
		return payout.FeedList
	}
	return payout.FeedReport
}

// RunDay reconciles one provider's business day now, for a person: from the
// provider's List, or, for a provider without one (or not configured here),
// again from the latest settlement report uploaded for the day, compared with
// payops as it is now. A signed-off day is run again only when again says
// finance confirmed it (store.ErrSignedOff otherwise).
func (d *DayEnd) RunDay(ctx context.Context, provider string, date time.Time, by string, again bool) (store.ReconRun, error) {
	if err := refuseTest(provider); err != nil {
		return store.ReconRun{}, err
	}
	start, end := DayBounds(date, d.Location)
	run, listErr := d.reconcile(ctx, provider, date, start, end, by, again)
	if !errors.Is(listErr, adapters.ErrListUnsupported) && !errors.Is(listErr, adapters.ErrNotConfigured) {
		return run, listErr
	}
	records, file, err := d.Store.LatestUpload(ctx, provider, date)
	if errors.Is(err, store.ErrNotFound) {
		return store.ReconRun{}, store.Refused("payops cannot list %s's payouts (%v): upload its settlement report for %s on the day's page",
			provider, listErr, date.Format("2006-01-02"))
	}
	if err != nil {
		return store.ReconRun{}, err
	}
	return d.uploadDay(ctx, provider, date, by, records, file, again)
}

// UploadDay reconciles one provider's business day from the records of a
// settlement report, file (nil when not known); the provider need not be
// reachable, or configured here.
func (d *DayEnd) UploadDay(ctx context.Context, provider string, date time.Time, by string, records []payout.ProviderRecord,
	file *store.ReportFile) (store.ReconRun, error) {
	return d.uploadDay(ctx, provider, date, by, records, file, false)
}

func (d *DayEnd) uploadDay(ctx context.Context, provider string, date time.Time, by string, records []payout.ProviderRecord,
	file *store.ReportFile, again bool) (store.ReconRun, error) {
	if err := refuseTest(provider); err != nil {
		return store.ReconRun{}, err
	}
	start, end := DayBounds(date, d.Location)
	run, err := d.Store.ReconcileReport(ctx, provider, date, start, end, by, records, again, file)
	if err != nil {
		return store.ReconRun{}, err
	}
	d.logRun(run, len(records))
	return run, nil
}

// Run reconciles yesterday (in the business time zone) for each provider,
// and each of the CatchUpDays before it that the provider has no run of,
// after its first or with a payout sent through it (a failed or missed run
// is made good the next day, its first too; a provider new to payops is not
// reconciled for days before it was used). A provider
// or day that fails does not stop the others; the errors are joined.
func (d *DayEnd) Run(ctx context.Context) (Outcome, error) {
	yesterday := d.Yesterday()
	var out Outcome
	var errs []error
	for _, name := range d.ProviderNames() {
		var days []store.BusinessDay
		for back := CatchUpDays; back >= 1; back-- {
			date := yesterday.AddDate(0, 0, -back)
			start, end := DayBounds(date, d.Location)
			days = append(days, store.BusinessDay{Date: date, Start: start, End: end})
		}
		missed, err := d.Store.UnreconciledDays(ctx, name, days)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		for _, date := range append(missed, yesterday) {
			start, end := DayBounds(date, d.Location)
			run, err := d.reconcile(ctx, name, date, start, end, "day-end", false)
			if errors.Is(err, adapters.ErrListUnsupported) {
				break // no list: finance uploads its reports
			}
			if errors.Is(err, store.ErrSignedOff) {
				continue // finance signed the day off already (a Run now after it)
			}
			out.Examined++
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", name, date.Format(time.DateOnly), err))
				continue
			}
			if !run.Ties {
				out.Changed++ // days that need finance
			}
		}
	}
	return out, errors.Join(errs...)
}

// reconcile reconciles one provider's day from its List.
func (d *DayEnd) reconcile(ctx context.Context, provider string, date, start, end time.Time, by string,
	again bool) (store.ReconRun, error) {
	prov, err := d.Providers.Get(provider)
	if err != nil {
		return store.ReconRun{}, err
	}
	list, err := prov.List(ctx, start, end)
	if err != nil {
		return store.ReconRun{}, err
	}
	records := make([]payout.ProviderRecord, 0, len(list))
	for _, r := range list {
		rec := payout.ProviderRecord{ProviderPayoutID: r.ProviderPayoutID, ReferenceID: r.ReferenceID, Amount: r.Amount, Status: r.Status}
		if r.Fee != nil {
			rec.Fee = &r.Fee.Minor
		}
		if !r.At.IsZero() {
			at := r.At
			rec.SettledAt = &at
		}
		records = append(records, rec)
	}
	run, err := d.Store.Reconcile(ctx, provider, date, start, end, "list", by, records, again)
	if err != nil {
		return store.ReconRun{}, err
	}
	d.logRun(run, len(records))
	return run, nil
}

func (d *DayEnd) logRun(run store.ReconRun, records int) {
	d.Log.Info("day reconciled", "provider", run.Provider, "date", run.BusinessDate.Format("2006-01-02"), "version", run.Version,
		"source", run.Source, "by", run.RunBy, "records", records, "diffs", run.Diffs, "ties", run.Ties)
}

func orLocation(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}

// BusinessZone is the business time zone.
func (d *DayEnd) BusinessZone() *time.Location { return orLocation(d.Location) }
