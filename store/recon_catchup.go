package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// BusinessDay is one business day and its bounds in the business time
// zone.
type BusinessDay struct {
	Date       time.Time // the day, as a date
	Start, End time.Time // [Start, End)
}

// UnreconciledDays returns those of days, in order, of which provider has
// no reconciliation run and that payops reconciles: a day after the first
// it has a run of, or one on which payops sent a live payout through the
// provider. So a day whose run failed is found though it was the provider's
// first (the next day's run is then the earliest), and the days before a
// provider was used are not.
func (s *Store) UnreconciledDays(ctx context.Context, provider string, days []BusinessDay) ([]time.Time, error) {
	dates, starts, ends := dayArrays(days)
	var out []time.Time
	err := s.db.SelectContext(ctx, &out, `SELECT d.day FROM unnest($2::date[], $3::timestamptz[], $4::timestamptz[])
			AS d(day, start_at, end_at)
		WHERE NOT EXISTS (SELECT 1 FROM recon_runs r WHERE r.provider = $1 AND r.business_date = d.day)
			AND (d.day > (SELECT min(business_date) FROM recon_runs WHERE provider = $1)
				OR EXISTS (SELECT 1 FROM payouts p WHERE p.provider = $1 AND p.livemode
					AND p.submitted_at >= d.start_at AND p.submitted_at < d.end_at))
		ORDER BY 1`, provider, pq.Array(dates), pq.Array(starts), pq.Array(ends))
	if err != nil {
		return nil, fmt.Errorf("store: days of %s not reconciled: %w", provider, err)
	}
	return out, nil
}

// LiveSentDays returns, of providers and days, the days on which payops
// sent a live payout through each provider, keyed "provider/2006-01-02":
// one index probe per provider and day. Finance reconciles such a day even
// once the provider is no longer configured here (from its settlement
// report): money moved through it.
func (s *Store) LiveSentDays(ctx context.Context, providers []string, days []BusinessDay) (map[string]bool, error) {
	out := map[string]bool{}
	if len(providers) == 0 || len(days) == 0 {
		return out, nil
	}
	dates, starts, ends := dayArrays(days)
	var rows []struct {
		Provider string `db:"provider"`
		Day      string `db:"day"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT pr.provider, d.day FROM unnest($1::text[]) AS pr(provider)
			CROSS JOIN unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS d(day, start_at, end_at)
		WHERE EXISTS (SELECT 1 FROM payouts p WHERE p.provider = pr.provider AND p.livemode
			AND p.submitted_at >= d.start_at AND p.submitted_at < d.end_at)`,
		pq.Array(providers), pq.Array(dates), pq.Array(starts), pq.Array(ends))
	if err != nil {
		return nil, fmt.Errorf("store: days with live payouts: %w", err)
	}
	for _, r := range rows {
		out[r.Provider+"/"+r.Day] = true
	}
	return out, nil
}

// dayArrays is days as three arrays for unnest: dates, starts and ends.
func dayArrays(days []BusinessDay) (dates []string, starts, ends []time.Time) {
	for _, d := range days {
		dates, starts, ends = append(dates, d.Date.Format(time.DateOnly)), append(starts, d.Start), append(ends, d.End)
	}
	return dates, starts, ends
}
