package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"payops/adapters"
	"payops/payout"
	"payops/store"
)

// ReconStore is what day-end reconciliation writes.
type ReconStore interface {
	Reconcile(ctx context.Context, provider string, date, dayStart, dayEnd time.Time, source, by string, records []payout.ProviderRecord) (store.ReconRun, error)
}

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

// Run reconciles yesterday (in the business time zone) for each provider.
// A provider that fails does not stop the others; the errors are joined.
func (d *DayEnd) Run(ctx context.Context) (Outcome, error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	date, start, end := BusinessDay(now().In(orLocation(d.Location)).AddDate(0, 0, -1), d.Location)
	var out Outcome
	var errs []error
	for _, name := range d.Providers.Names() {
		run, err := d.Reconcile(ctx, name, date, start, end)
		if errors.Is(err, adapters.ErrListUnsupported) {
			continue
		}
		out.Examined++
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if !run.Ties {
			out.Changed++ // days that need finance
		}
	}
	return out, errors.Join(errs...)
}

// Reconcile reconciles one provider's day from its List.
func (d *DayEnd) Reconcile(ctx context.Context, provider string, date, start, end time.Time) (store.ReconRun, error) {
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
	run, err := d.Store.Reconcile(ctx, provider, date, start, end, "list", "day-end", records)
	if err != nil {
		return store.ReconRun{}, err
	}
	d.Log.Info("day reconciled", "provider", provider, "date", date.Format("2006-01-02"), "version", run.Version,
		"records", len(records), "diffs", run.Diffs, "ties", run.Ties)
	return run, nil
}

func orLocation(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}
